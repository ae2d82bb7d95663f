"""The exchange's pure rules: releasability against TLP, the triage, widening and
withdrawal."""

from __future__ import annotations

import pytest
import yaml

from collsec.core.auth.model import Marking
from collsec.core.errors import Conflict, InvalidInput
from collsec.exchange import model
from collsec.registry.charter import data_dir

RULES = model.rules_from(yaml.safe_load((data_dir("CSTO") / "charter.yaml").read_text(
    encoding="utf-8"))["exchange"])


@pytest.mark.parametrize("tlp,scope,states", [
    ("RED", "states", ["ru"]), ("AMBER+STRICT", "originator", []), ("AMBER", "members", []),
    ("GREEN", "observers", []), ("CLEAR", "public", []), ("clear", "states", ["KZ", "RU"]),
])
def test_a_release_within_its_label_is_taken(tlp: str, scope: str, states: list[str]) -> None:
    label, named = model.check_release(RULES, tlp, scope, states)
    assert label == tlp.upper() and named == tuple(sorted(s.upper() for s in states))


@pytest.mark.parametrize("tlp,scope,states,message", [
    ("RED", "members", [], "TLP:RED allows at most 'states', not 'members'"),
    ("AMBER", "members_and_partners", [], "TLP:AMBER allows at most 'members'"),
    ("GREEN", "public", [], "TLP:GREEN allows at most 'observers'"),
    ("AMBER", "states", [], "names at least one"),
    ("AMBER", "members", ["KZ"], "only a report released to named states names states"),
    ("WHITE", "members", [], "unknown TLP label 'WHITE'"),
    ("AMBER", "everyone", [], "unknown releasability 'everyone'"),
])
def test_a_release_wider_than_its_label_or_malformed_is_refused(
        tlp: str, scope: str, states: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("+", "\\+")):
        model.check_release(RULES, tlp, scope, states)


def test_until_released_a_report_reaches_its_originator_alone() -> None:
    assert model.marking_of(RULES, "public", [], "delegation:KZ", released=False) == \
        Marking("restricted", "delegation:KZ", frozenset())
    assert model.marking_of(RULES, "states", ["RU"], "delegation:KZ", released=True) == \
        Marking("restricted", "delegation:KZ", frozenset({"delegation:RU"}))
    assert model.marking_of(RULES, "members_and_partners", [], "delegation:KZ",
                            released=True).level == "partners"


@pytest.mark.parametrize("old,new,narrowed", [
    (("restricted", {"RU"}), ("restricted", {"RU", "BY"}), False),
    (("restricted", {"RU", "BY"}), ("restricted", {"RU"}), True),
    (("restricted", {"RU"}), ("members", set()), False),
    (("members", set()), ("restricted", {"RU"}), True),
    (("members", set()), ("partners", set()), False),
    (("observers", set()), ("members", set()), True),
    (("public", set()), ("observers", set()), True),
])
def test_narrowing_is_a_withdrawal_and_widening_is_not(old: tuple[str, set[str]],
                                                        new: tuple[str, set[str]],
                                                        narrowed: bool) -> None:
    def mark(level: str, states: set[str]) -> Marking:
        return Marking(level, "delegation:KZ", frozenset(f"delegation:{s}" for s in states))
    assert model.narrows(mark(*old), mark(*new)) is narrowed


def test_the_triage_runs_draft_submitted_verified_released() -> None:
    status = "draft"
    for move, user in (("submit", "ana"), ("verify", "vera"), ("release", "rel")):
        status = model.step(status, move, author="ana", user=user)
    assert status == "released"
    assert model.step("submitted", "return", author="ana", user="vera") == "draft"


def test_a_step_out_of_order_or_by_the_author_is_refused() -> None:
    with pytest.raises(Conflict, match="release: not possible for a report that is "
                       "submitted; only for one that is verified"):
        model.step("submitted", "release", author="ana", user="rel")
    with pytest.raises(model.AuthorMayNot,
                       match="ana wrote this report and may not take the step 'verify'"):
        model.step("submitted", "verify", author="ana", user="ana")
    with pytest.raises(model.AuthorMayNot):
        model.step("verified", "release", author="ana", user="ana")
    with pytest.raises(InvalidInput, match="unknown step 'publish'"):
        model.step("draft", "publish", author="ana", user="ana")


def test_a_charter_with_an_unknown_level_or_scope_is_broken() -> None:
    def raw(**parts: object) -> dict[str, object]:
        return {"releasability": {"public": {"level": "public"}},
                "tlp": {"CLEAR": {"widest": "public"}}, "classifications": ["secret"], **parts}
    assert model.rules_from(raw()).scopes[0].code == "public"
    for broken, message in [
        (raw(releasability={"public": {"level": "everyone"}}), "unknown level 'everyone'"),
        (raw(releasability={"all": {"level": "public"}}), "not a releasability"),
        (raw(tlp={"RED": {"widest": "nobody"}}), "unknown scope 'nobody'"),
        (raw(tlp={"WHITE": {"widest": "public"}}), "not a TLP 2.0 label"),
        (raw(classifications=["cosmic"]), "exchange.classifications: only"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.rules_from(broken)
