"""Properties of the access rule: the SQL filter (`narrow`) and the decision (`may_read`) agree.

The database property builds, per example, a fresh organization in a real CSTO
database (SQLite or PostgreSQL), governed by a copy of the CSTO's charter in a folder
of its own on COLLSEC_ORG_PATH: a few states with random status intervals in it,
documents with random markings, owners and releases, then asks, for every
principal and several dates, the list query and the decision function the same
question. Everything an example writes is keyed by its own organization and
removed at its end.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import MARKINGS, Clearance, Marking, Principal, may_read
from collsec.core.auth.tables import ReleaseRow
from collsec.documents import service as documents
from collsec.documents.tables import DocumentRow
from collsec.registry import service as registry
from collsec.registry.charter import data_dir
from collsec.registry.tables import BodyRow, MembershipRow, OrganizationRow

CHARTER = registry.charter_for("CSTO")
ACCESS = CHARTER.raw["access"]
STATUSES = sorted(CHARTER.statuses)
PUBLIC_ONLY_STATUSES = sorted(code for code, rule in CHARTER.statuses.items()
                              if set(rule.reads) == {"public"})
STATES = ["AM", "BY", "KZ", "KG", "UZ"]  # states of the loaded data given random statuses
OUTSIDER = "delegation:TJ"  # holds no status in an example's organization
ORGANS = ["SEC", "JS"]  # bodies each example's organization has
OTHERS = [*(f"organ:{code}" for code in ORGANS), "external:OSCE", OUTSIDER]
EPOCH = dt.date(2000, 1, 1)
_orgs = itertools.count(1)


@pytest.fixture(scope="module")
def org_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder on COLLSEC_ORG_PATH for the examples' organizations' charters."""
    root = tmp_path_factory.mktemp("property-orgs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLLSEC_ORG_PATH", str(root))
        yield root


def _new_org(root: Path) -> str:
    """A fresh organization code, its folder holding the CSTO's charter under that code."""
    org = f"PROP{next(_orgs)}"
    text = data_dir("CSTO").joinpath("charter.yaml").read_text(encoding="utf-8")
    folder = root / org.lower()
    folder.mkdir()
    (folder / "charter.yaml").write_text(
        text.replace("organization: CSTO", f"organization: {org}", 1), encoding="utf-8")
    return org


# -- strategies ------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    status: str
    start: dt.date
    end: dt.date | None  # exclusive; None: open


@st.composite
def histories(draw: st.DrawFn) -> list[Segment]:
    """A state's status intervals, oldest first: gaps allowed, the last one maybe open."""
    day = EPOCH + dt.timedelta(days=draw(st.integers(0, 4000)))
    out: list[Segment] = []
    count = draw(st.integers(1, 4))
    for i in range(count):
        day += dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 1, 90, 400])) if out else 0)
        status = draw(st.sampled_from(STATUSES))
        last = i == count - 1
        if last and draw(st.booleans()):
            out.append(Segment(status, day, None))
            break
        end = day + dt.timedelta(days=draw(st.integers(1, 1500)))
        out.append(Segment(status, day, end))
        day = end
    return out


@dataclass(frozen=True)
class DocSpec:
    level: str
    owner: str | None
    released_to: frozenset[str]


def doc_specs(principals: list[str]) -> st.SearchStrategy[DocSpec]:
    keys = principals + ["delegation:GE"]  # GE never reads: a release to a bystander

    @st.composite
    def one(draw: st.DrawFn) -> DocSpec:
        level = draw(st.sampled_from(MARKINGS))
        owner = draw(st.none() | st.sampled_from(principals))
        released: frozenset[str] = frozenset()
        if level == "restricted":
            released = frozenset(draw(st.lists(st.sampled_from(keys), min_size=1,
                                               max_size=4, unique=True)))
        return DocSpec(level, owner, released)

    return one()


# -- oracle: levels from the generated registry, independently of the service --------

def expected_levels(principal: str | None, histories_by_state: dict[str, list[Segment]],
                    day: dt.date) -> frozenset[str]:
    if principal is None:
        return frozenset(ACCESS["anonymous_reads"])
    p = Principal.parse(principal)
    if p.kind == "delegation":
        for seg in histories_by_state.get(p.code, []):
            if seg.start <= day and (seg.end is None or day < seg.end):
                return frozenset(CHARTER.statuses[seg.status].reads)
        return frozenset({"public"})
    if p.kind == "organ" and p.code in ACCESS["organs"]:
        return frozenset(ACCESS["organ_reads"])
    return frozenset(ACCESS["external_reads"])


def _actor(principal: str | None) -> auth.Actor:
    if principal is None:
        return auth.anonymous("cli")
    return auth.Actor(None, f"reader-{principal}", Principal.parse(principal),
                      frozenset({"viewer"}), "cli")


# Who records the generated histories: an editor of the secretariat, cleared to edit them.
RECORDER = auth.Actor(None, "property", Principal("organ", "SEC"), frozenset({"editor"}), "cli")
RECORDER_CLEARANCE = Clearance("organ:SEC", "property", frozenset({"public"}),
                               frozenset({"read", "edit_registry"}), via="cli")


def _record_history(s: Session, org: str, state: str, history: list[Segment],
                    use_change: bool) -> None:
    """Through the registry's own use cases: add_membership, and change_status for the
    last transition when it is a contiguous change to an open interval."""
    c, who = RECORDER_CLEARANCE, RECORDER
    last, prev = history[-1], (history[-2] if len(history) > 1 else None)
    via_change = (use_change and prev is not None and last.end is None
                  and prev.end == last.start and prev.status != last.status)
    for seg in history[:-2] if via_change else history:
        registry.add_membership(s, c, who, org=org, state=state, status=seg.status,
                                valid_from=seg.start, valid_to=seg.end)
    if via_change:
        assert prev is not None
        registry.add_membership(s, c, who, org=org, state=state,
                                status=prev.status, valid_from=prev.start, valid_to=None)
        registry.change_status(s, c, who, org=org, state=state,
                               status=last.status, on=last.start)


def _cleanup(org: str) -> None:
    with db.write_session() as s:
        ids = list(s.execute(select(DocumentRow.id).where(DocumentRow.org == org)).scalars())
        if ids:
            s.execute(delete(ReleaseRow).where(ReleaseRow.object_type == "document",
                                               ReleaseRow.object_id.in_(ids)))
        s.execute(delete(DocumentRow).where(DocumentRow.org == org))
        s.execute(delete(MembershipRow).where(MembershipRow.org == org))
        s.execute(delete(BodyRow).where(BodyRow.org == org))
        s.execute(delete(OrganizationRow).where(OrganizationRow.code == org))


# -- the database property -------------------------------------------------------------

@settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow],
          max_examples=30, deadline=None, database=None)
@given(data=st.data())
def test_the_list_query_returns_exactly_what_the_decision_allows(
        csto_db: str, org_folders: Path, data: st.DataObject) -> None:
    states = data.draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True),
                       label="states")
    registry_by_state = {code: data.draw(histories(), label=f"history of {code}")
                         for code in states}
    use_change = data.draw(st.booleans(), label="last change through change_status")
    principals = [f"delegation:{code}" for code in states] + OTHERS
    specs = data.draw(st.lists(doc_specs(principals), max_size=8), label="documents")
    boundaries = sorted({d for h in registry_by_state.values() for seg in h
                         for edge in (seg.start, seg.end) if edge is not None
                         for d in (edge - dt.timedelta(days=1), edge)})
    days = data.draw(st.lists(st.sampled_from(boundaries)
                              | st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31)),
                              min_size=1, max_size=4, unique=True), label="as-of dates")

    org = _new_org(org_folders)
    try:
        with db.write_session() as s:
            s.add(OrganizationRow(code=org, kind="alliance", name_en=f"Property {org}",
                                  name_ru=f"Свойство {org}", abbr_en=org, abbr_ru=org))
            s.flush()
            for organ in ORGANS:  # the example's organization's own bodies, as recipients
                s.add(BodyRow(org=org, code=organ, kind="organ", name_en=organ, name_ru=organ))
            s.flush()
            for code, history in registry_by_state.items():
                _record_history(s, org, code, history, use_change)
            made: dict[int, Marking] = {}
            for n, spec in enumerate(specs):
                publisher = (auth.clearance(s, auth.Actor(None, "publisher",
                                                          Principal.parse(spec.owner),
                                                          frozenset({"editor"}), "cli"),
                                            EPOCH, org)
                             if spec.owner else
                             Clearance(None, "loader", frozenset({"public"}),
                                       frozenset({"publish"})))
                row = documents.create_document(
                    s, publisher, _actor(spec.owner), kind="statement",
                    date=EPOCH + dt.timedelta(days=n), title_en=f"doc {n} of {org}",
                    title_ru="", visibility=spec.level, released_to=sorted(spec.released_to),
                    org=org)
                made[row.id] = Marking(spec.level, spec.owner, spec.released_to)

        with db.read_session() as s:
            for doc_id, mark in made.items():
                stored = auth.marking(s, "document", s.get(DocumentRow, doc_id))
                assert stored == mark
            for principal, day in itertools.product([*principals, None], days):
                c = auth.clearance(s, _actor(principal), day, org)
                assert c.levels == expected_levels(principal, registry_by_state, day), (
                    principal, day, c.reason)
                listed = {r.id for r in documents.list_documents(s, c, org=org)}
                allowed = {i for i, m in made.items() if may_read(c, m).allowed}
                assert listed == allowed, (
                    f"{principal} on {day} ({c.reason}): the query returned "
                    f"{sorted(listed - allowed)} the decision denies and missed "
                    f"{sorted(allowed - listed)} it allows")
                if c.levels == {"public"}:
                    assert all(made[i].level == "public" for i in listed)
    finally:
        _cleanup(org)


# -- pure properties -------------------------------------------------------------------

PRINCIPAL_KEYS = st.sampled_from(["delegation:KZ", "delegation:BY", "delegation:UZ",
                                  "organ:SEC", "organ:CRC", "external:OSCE"])
LEVEL_SETS = st.frozensets(st.sampled_from(MARKINGS))
ACTIONS = st.frozensets(st.sampled_from(["read", "export", "publish", "read_audit"]))
MARKS = st.builds(Marking, st.sampled_from(MARKINGS), st.none() | PRINCIPAL_KEYS,
                  st.frozensets(PRINCIPAL_KEYS, max_size=4))


@given(principal=st.none() | PRINCIPAL_KEYS, levels=LEVEL_SETS, actions=ACTIONS,
       owner=st.none() | PRINCIPAL_KEYS, released=st.frozensets(PRINCIPAL_KEYS, max_size=4))
def test_restricted_material_is_never_read_outside_its_releases_and_owner(
        principal: str | None, levels: frozenset[str], actions: frozenset[str],
        owner: str | None, released: frozenset[str]) -> None:
    c = Clearance(principal, "u", levels, actions, "generated")
    decision = may_read(c, Marking("restricted", owner, released))
    if decision.allowed:
        assert principal is not None
        assert principal in released | {owner}
        assert c.in_good_standing


@given(status=st.sampled_from(PUBLIC_ONLY_STATUSES), code=st.sampled_from(STATES),
       actions=ACTIONS, mark=MARKS)
def test_a_delegation_whose_status_reads_only_public_never_reads_anything_else(
        status: str, code: str, actions: frozenset[str], mark: Marking) -> None:
    # Built the way the service builds a delegation's clearance from its status.
    reads = frozenset(CHARTER.statuses[status].reads)
    c = Clearance(f"delegation:{code}", "u", reads, actions, f"{code} is {status}")
    # Even material it originated or that is released to it stays closed.
    for m in (mark, Marking(mark.level, c.principal, mark.released_to),
              Marking(mark.level, mark.owner, mark.released_to | {c.principal or ""})):
        assert may_read(c, m).allowed == (m.level == "public")


def test_the_charter_has_statuses_that_read_only_public() -> None:
    assert {"participation_suspended", "withdrawn"} <= set(PUBLIC_ONLY_STATUSES)


@given(levels=LEVEL_SETS, mark=MARKS)
def test_an_anonymous_reader_never_reads_restricted_material(levels: frozenset[str],
                                                            mark: Marking) -> None:
    c = Clearance(None, None, levels, frozenset({"read"}), "not signed in")
    assert may_read(c, mark).allowed == (mark.level != "restricted" and mark.level in levels)
