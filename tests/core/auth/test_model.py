"""The pure read rule and action rule, by example: each rule allowed once and denied once."""

from __future__ import annotations

import pytest

from collsec.core.auth.model import Clearance, Marking, Principal, may, may_read
from collsec.core.auth.service import policy

MEMBER_LEVELS = frozenset({"public", "observers", "members"})
OBSERVER_LEVELS = frozenset({"public", "observers"})
PUBLIC_ONLY = frozenset({"public"})
VIEWER = policy().actions_for(["viewer"])
EDITOR = policy().actions_for(["editor"])


def delegation(code: str, levels: frozenset[str] = MEMBER_LEVELS,
               actions: frozenset[str] = VIEWER, reason: str = "") -> Clearance:
    return Clearance(f"delegation:{code}", f"user-{code.lower()}", levels, actions,
                     reason or f"{code} is a member")


ANONYMOUS = Clearance(None, None, PUBLIC_ONLY, frozenset({"read"}), "not signed in")
SUSPENDED_UZ = delegation("UZ", PUBLIC_ONLY, reason="UZ is participation_suspended in CSTO")
OBSERVER_RS = delegation("RS", OBSERVER_LEVELS, reason="RS is observer in CSTO")
SECRETARIAT = Clearance("organ:SEC", "sec-editor", MEMBER_LEVELS, EDITOR, "organ SEC")
OSCE = Clearance("external:OSCE", "osce", PUBLIC_ONLY, VIEWER, "external OSCE")


def restricted(owner: str = "organ:SEC", *to: str) -> Marking:
    return Marking("restricted", owner, frozenset(to))


# -- levels --------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["public", "observers", "members"])
def test_a_member_delegation_reads_public_observers_and_members_material(level: str) -> None:
    decision = may_read(delegation("KZ"), Marking(level))
    assert decision.allowed
    assert level in decision.reason


@pytest.mark.parametrize("level", ["public", "observers"])
def test_an_observer_delegation_reads_public_and_observers_material(level: str) -> None:
    assert may_read(OBSERVER_RS, Marking(level)).allowed


def test_an_observer_delegation_is_refused_members_material_with_its_status_as_reason(
) -> None:
    decision = may_read(OBSERVER_RS, Marking("members"))
    assert not decision.allowed
    assert "observer" in decision.reason


def test_an_organ_reads_members_material() -> None:
    assert may_read(SECRETARIAT, Marking("members")).allowed


@pytest.mark.parametrize("level", ["observers", "members"])
def test_an_external_organization_is_refused_non_public_material(level: str) -> None:
    assert may_read(OSCE, Marking("public")).allowed
    assert not may_read(OSCE, Marking(level)).allowed


def test_a_clearance_without_any_level_reads_nothing() -> None:
    nothing = delegation("KZ", frozenset())
    assert not any(may_read(nothing, Marking(level)).allowed
                   for level in ("public", "observers", "members"))


# -- anonymous -----------------------------------------------------------------------

def test_an_anonymous_reader_reads_public_material() -> None:
    assert may_read(ANONYMOUS, Marking("public")).allowed


@pytest.mark.parametrize("level", ["observers", "members"])
def test_an_anonymous_reader_is_refused_marked_material(level: str) -> None:
    decision = may_read(ANONYMOUS, Marking(level))
    assert not decision.allowed
    assert "not signed in" in decision.reason


def test_an_anonymous_reader_is_refused_restricted_material_as_not_signed_in() -> None:
    decision = may_read(ANONYMOUS, restricted("organ:SEC", "delegation:KZ"))
    assert not decision.allowed
    assert "signed-in principal" in decision.reason


# -- restricted ----------------------------------------------------------------------

def test_restricted_material_is_read_by_a_principal_it_is_released_to() -> None:
    decision = may_read(delegation("KZ"), restricted("organ:SEC", "delegation:KZ"))
    assert decision.allowed
    assert "released" in decision.reason


def test_restricted_material_is_refused_to_a_member_it_is_not_released_to() -> None:
    decision = may_read(delegation("BY"), restricted("organ:SEC", "delegation:KZ"))
    assert not decision.allowed
    assert "not released" in decision.reason


def test_restricted_material_is_read_by_its_originator_without_a_release() -> None:
    assert may_read(SECRETARIAT, restricted("organ:SEC", "delegation:KZ")).allowed


def test_an_organ_is_refused_restricted_material_released_to_someone_else() -> None:
    assert not may_read(SECRETARIAT, restricted("delegation:RU", "delegation:KZ")).allowed


def test_restricted_levels_do_not_open_restricted_material() -> None:
    # "restricted" among the levels is no release: only owner and recipients read it.
    odd = delegation("BY", MEMBER_LEVELS | {"restricted"})
    assert not may_read(odd, restricted("organ:SEC", "delegation:KZ")).allowed


# -- suspended delegation ------------------------------------------------------------

def test_a_suspended_delegation_reads_public_material() -> None:
    assert may_read(SUSPENDED_UZ, Marking("public")).allowed


@pytest.mark.parametrize("level", ["observers", "members"])
def test_a_suspended_delegation_is_refused_marked_material_with_its_status(level: str) -> None:
    decision = may_read(SUSPENDED_UZ, Marking(level))
    assert not decision.allowed
    assert "participation_suspended" in decision.reason


def test_a_suspended_delegation_is_refused_restricted_material_released_to_it() -> None:
    decision = may_read(SUSPENDED_UZ, restricted("organ:SEC", "delegation:UZ"))
    assert not decision.allowed
    assert "participation_suspended" in decision.reason


def test_a_suspended_delegation_is_refused_restricted_material_it_originated() -> None:
    assert not may_read(SUSPENDED_UZ, restricted("delegation:UZ", "delegation:KZ")).allowed


# -- actions -------------------------------------------------------------------------

def test_a_role_that_grants_an_action_allows_it() -> None:
    decision = may(SECRETARIAT, "publish")
    assert decision.allowed
    assert "publish" in decision.reason


def test_a_role_that_lacks_an_action_is_refused_it_in_words() -> None:
    decision = may(delegation("KZ"), "publish")
    assert not decision.allowed
    assert decision.reason == "user-kz may not publish"


def test_an_anonymous_reader_may_read_but_not_export() -> None:
    assert may(ANONYMOUS, "read").allowed
    decision = may(ANONYMOUS, "export")
    assert not decision.allowed
    assert "anonymous reader may not export" in decision.reason


def test_an_action_on_an_object_also_needs_the_read_rule() -> None:
    editor_by = delegation("BY", actions=EDITOR)
    assert may(editor_by, "export", Marking("members")).allowed
    refused = may(editor_by, "export", restricted("organ:SEC", "delegation:KZ"))
    assert not refused.allowed
    assert "not released" in refused.reason


def test_an_action_the_role_lacks_is_refused_even_on_readable_material() -> None:
    assert not may(delegation("KZ"), "export", Marking("public")).allowed


@pytest.mark.parametrize("role,action,allowed", [
    ("viewer", "read", True), ("viewer", "export", False), ("analyst", "export", True),
    ("duty_officer", "report_incident", True), ("representative", "record_position", True),
    ("representative", "publish", False), ("editor", "publish", True),
    ("editor", "manage_users", False), ("admin", "read_audit", True),
])
def test_the_role_policy_grants_exactly_its_listed_actions(role: str, action: str,
                                                          allowed: bool) -> None:
    assert (action in policy().actions_for([role])) is allowed


def test_roles_unknown_to_the_policy_grant_nothing() -> None:
    assert policy().actions_for(["superuser"]) == frozenset()


# -- principals ----------------------------------------------------------------------

def test_a_principal_is_parsed_with_an_upper_case_code() -> None:
    assert Principal.parse("delegation:kz") == Principal("delegation", "KZ")
    assert Principal.parse("organ:SEC").key == "organ:SEC"


@pytest.mark.parametrize("text", ["KZ", "delegation:", "state:KZ", ":KZ", ""])
def test_a_malformed_principal_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a principal"):
        Principal.parse(text)
