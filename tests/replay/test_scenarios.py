"""The replays are tests: every shipped scenario runs on a fresh database and holds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.decisions.tables import AgendaItemRow, SessionRow
from collsec.registry import chairs as registry_chairs
from collsec.registry import defaults
from collsec.registry import service as registry
from collsec.registry.tables import MembershipRow
from collsec.replay import runner
from tests.conftest import create_database, drop_database, prepare

SHIPPED = runner.shipped("CSTO")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_replay_holds_on_a_fresh_database(empty_db: str, path: Any) -> None:
    scenario = runner.read_scenario(path)
    report = runner.run(scenario, db.engine_for(empty_db))
    failures = [f"{r.step.label}: {r.failure}" for r in report.steps if not r.ok]
    failures += [f"check {c.check.number}: {c.detail}" for c in report.checks if not c.ok]
    assert not failures
    assert report.ok and report.checks_run
    assert len(report.steps) == len(scenario.steps)
    assert len(report.checks) == len(scenario.checks)
    with db.read_session(db.engine_for(empty_db)) as s:
        assert journal.verify(s).ok


@pytest.fixture
def full_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second fresh database with the whole embedded default loaded, to compare with."""
    url = create_database(tmp_path / "full")
    prepare(url, load=True)
    yield url
    drop_database(url)


def _members(url: str, org: str, day: Any) -> list[tuple[str, str]]:
    with db.read_session(db.engine_for(url)) as s:
        return sorted((v.state.code, v.status.code)
                      for v in registry.members(s, org, day, every_status=True))


def _history(url: str, state: str) -> list[tuple[str, str, Any, Any]]:
    with db.read_session(db.engine_for(url)) as s:
        return [(v.org, v.status.code, v.valid_from, v.valid_to)
                for v in registry.state_history(s, state)]


def test_after_the_suspension_replay_members_agree_with_the_registry_facts(
        empty_db: str, full_default: str) -> None:
    """The acceptance point: the replay produces what the foundation's facts say."""

    scenario = runner.read_scenario(runner.find("uzbekistan-suspension-2012", "CSTO"))
    assert runner.run(scenario, db.engine_for(empty_db)).ok
    for org in ("CSTO", "CST"):
        for day in (dt.date(2011, 6, 1), dt.date(2012, 6, 27), dt.date(2012, 6, 28),
                    dt.date(2013, 1, 1)):
            assert _members(empty_db, org, day) == _members(full_default, org, day), (org, day)
    assert _history(empty_db, "UZ") == _history(full_default, "UZ")
    with db.read_session(db.engine_for(empty_db)) as s:
        codes = sorted(v.state.code for v in registry.members(s, "CSTO", dt.date(2013, 1, 1)))
    assert codes == ["AM", "BY", "KG", "KZ", "RU", "TJ"]


def test_the_replay_changes_go_through_the_services_and_the_journal(empty_db: str) -> None:
    scenario = runner.read_scenario(runner.find("uzbekistan-suspension-2012", "CSTO"))
    runner.run(scenario, db.engine_for(empty_db))
    with db.read_session(db.engine_for(empty_db)) as s:
        commands = [e.command for e in reversed(journal.entries(s, limit=100))]
        item = s.execute(select(AgendaItemRow)).scalar_one()
        sess = s.get(SessionRow, item.session_id)
    # one entry per step: the six positions of one step are one entry, and the suspension
    # the closing applies to the registry is a step of the closing's entry
    assert commands == ["registry.load_default", "auth.add_user", "registry.change_status",
                        "decisions.convene", "decisions.add_item", "decisions.record_position",
                        "decisions.close_item"]
    assert sess is not None and sess.chair_state == "KZ" and sess.host_state == "RU"
    assert item.adopted and item.closed_at is not None
    assert item.closed_at.date().isoformat() == "2012-12-19"  # the step's clock


def test_the_kazakhstan_replay_reports_the_days_the_research_gives() -> None:
    """docs/research/kazakhstan-2022.md §1, §5: Kyrgyzstan and Tajikistan arrive on
    7 January, Armenia's transfer is complete on 8 January and the deployment (Russia's,
    the last) on 9 January, not 7; Belarus, Armenia, Tajikistan and Kyrgyzstan (by road)
    are home on 14 January, Russia on 19 January. Each state's reports go forward in time
    and in status order."""
    order = ("alerted", "en_route", "deployed", "withdrawing", "returned")
    scenario = runner.read_scenario(runner.find("kazakhstan-2022", "CSTO"))
    reports: dict[str, list[tuple[dt.datetime, int, int]]] = {}
    for step in (s for s in scenario.steps if s.do == "deployment"):
        for r in step.args["reports"]:
            at = dt.datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00"))
            assert at.date() == step.on, r  # a report falls on its step's day
            reports.setdefault(r["state"], []).append((at, order.index(r["status"]),
                                                       r["personnel"]))
    for state, course in reports.items():
        times, steps = [at for at, _, _ in course], [i for _, i, _ in course]
        assert times == sorted(times) and len(set(times)) == len(times), state
        assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 4, state

    def day(state: str, status: str) -> int:
        return next(at.day for at, i, _ in reports[state] if order[i] == status)

    assert {s: day(s, "deployed") for s in reports} == {
        "RU": 9, "KG": 7, "TJ": 7, "AM": 8, "BY": 7}
    assert {s: day(s, "returned") for s in reports} == {
        "RU": 19, "KG": 14, "TJ": 14, "AM": 14, "BY": 14}
    assert [p for _, i, p in reports["RU"] if order[i] == "deployed"] == [1480]  # residual
    assert {at for at, i, _ in reports["RU"] if order[i] == "en_route"} == {
        dt.datetime(2022, 1, 6, 18, tzinfo=dt.UTC)}


def run_text(url: str, text: str) -> runner.Report:
    return runner.run(runner.parse_text(text), db.engine_for(url))


SESSION_2013 = """
title: A small replay
sources: [seed-000]
base: {load_default: CSTO, until: 2013-01-01}
steps:
  - {on: 2013-05-28, do: convene, id: s, body: CSC, kind: regular}
  - {on: 2013-05-28, do: add_item, session: s, id: i, title_en: Draft statement,
     draft_kind: statement}
"""


def test_a_failed_expectation_stops_the_replay_and_rolls_its_step_back(empty_db: str) -> None:
    report = run_text(empty_db, SESSION_2013 + """
  - {on: 2013-05-28, do: position, item: i, positions: {RU: support, AM: object},
     expect: {adopted: true}}
  - {on: 2013-05-28, do: close_item, item: i}
checks:
  - members: {as_of: 2013-06-01, include: [RU]}
""")
    assert not report.ok and not report.checks_run and report.checks == ()
    failed = report.steps[-1]
    assert failed.step.number == 3 and not failed.ok
    assert "expected adoption, but the outcome is consensus_objection" in failed.failure
    assert len(report.steps) == 3  # the close never ran
    with db.read_session(db.engine_for(empty_db)) as s:
        assert journal.entries(s, limit=1)[0].command == "decisions.add_item"


def test_a_step_may_expect_to_be_refused(empty_db: str) -> None:
    report = run_text(empty_db, SESSION_2013 + """
  - {on: 2013-05-28, do: seat, session: s, state: UZ, expect: {error: cannot sit}}
  - {on: 2013-05-28, do: seat, session: s, state: KZ, expect: {error: cannot sit}}
""")
    assert report.steps[2].ok and "refused as expected" in report.steps[2].lines[0]
    assert not report.steps[3].ok and "but it went through" in report.steps[3].failure


def test_a_refused_step_fails_the_replay_naming_its_reason(empty_db: str) -> None:
    report = run_text(empty_db, SESSION_2013 + """
  - {on: 2013-05-28, do: position, item: i, state: RU, position: support, as: delegation:KZ}
""")
    assert not report.ok
    assert report.steps[-1].failure == ("refused: only delegation:RU may record position; "
                                        "delegation-kz acts for delegation:KZ")


def test_a_failing_check_is_reported_with_what_was_found(empty_db: str) -> None:
    report = run_text(empty_db, SESSION_2013 + """
checks:
  - members: {as_of: 2013-06-01, equals: [RU]}
  - status: {state: UZ, as_of: 2013-06-01, is: member}
  - document: {number: CSC-2013-1}
""")
    assert report.checks_run and not report.ok
    details = [c.detail for c in report.checks]
    assert details[0].endswith("expected RU")
    assert details[1] == "UZ in CSTO on 2013-06-01: participation_suspended; expected member"
    assert details[2] == "no document with number CSC-2013-1"


def test_unknown_sources_stop_the_replay_before_any_step(empty_db: str) -> None:
    with pytest.raises(runner.ScenarioError, match="step 1 \\(convene\\): sources: unknown "
                                                   "source id 'rumour'"):
        run_text(empty_db, SESSION_2013.replace("kind: regular}",
                                                "kind: regular, sources: [rumour]}"))


def test_documents_a_replay_makes_carry_its_sources_and_confidence(empty_db: str) -> None:
    from collsec.documents.tables import DocumentRow

    report = run_text(empty_db, SESSION_2013 + """
  - {on: 2013-06-01, do: publish_document, kind: report, title_en: A report,
     sources: [seed-001], confidence: low}
""")
    assert report.ok
    with db.read_session(db.engine_for(empty_db)) as s:
        doc = s.execute(select(DocumentRow).where(DocumentRow.kind == "report")).scalar_one()
    assert (doc.sources, doc.confidence, doc.date.isoformat()) == ("seed-001", "low",
                                                                   "2013-06-01")


# -- the base: the default as it stood before a day ----------------------------------------

def test_a_base_until_a_day_holds_only_what_was_known_before_it(empty_db: str) -> None:

    until = dt.date(2012, 6, 28)
    with db.write_session() as s:
        result = defaults.load_default(s, actor="test", org="CSTO", until=until)
    assert result.changed
    with db.read_session() as s:
        rows = list(s.execute(select(MembershipRow)).scalars())
        chair = registry_chairs.chair_on(s, "CSTO", dt.date(2012, 6, 27))
        events = registry.timeline(s, "CSTO")
    assert rows and all(r.valid_from < until for r in rows)
    assert all(r.valid_to is None or r.valid_to < until for r in rows)
    uz = [r for r in rows if r.state == "UZ" and r.org == "CSTO"]
    assert [(r.status, r.valid_to) for r in uz] == [("member", None)]  # opened at `until`
    assert chair.basis == "recorded" and chair.state is not None and chair.state.code == "KZ"
    with db.read_session() as s:  # the register stops before `until` too
        held, _ = registry_chairs.session_records(s, "CSTO")
    assert held and all(r.date < until for r in held)
    assert all(e.date < until for e in events)


def test_a_partial_load_is_idempotent_and_a_full_load_after_it_replaces_it(
        empty_db: str) -> None:

    until = dt.date(2012, 6, 28)
    with db.write_session() as s:
        defaults.load_default(s, actor="test", org="CSTO", until=until)
    with db.write_session() as s:
        assert not defaults.load_default(s, actor="test", org="CSTO", until=until).changed
    with db.write_session() as s:
        assert defaults.load_default(s, actor="test", org="CSTO").changed
    with db.read_session() as s:
        n = s.scalar(select(func.count()).select_from(MembershipRow))
        codes = sorted(v.state.code for v in registry.members(s, "CSTO", dt.date(2013, 1, 1)))
    assert n == len(yaml.safe_load((Path(defaults.__file__).parent.parent / "data" / "csto" /
                                    "memberships.yaml").read_text(encoding="utf-8")))
    assert "UZ" not in codes


# -- text -------------------------------------------------------------------------------------

WINDOW = 8


def _words(text: str) -> list[str]:
    return re.findall(r"[\w’']+", text.lower())


def test_no_replay_repeats_a_seed_sentence(shared: Path) -> None:
    windows: set[tuple[str, ...]] = set()
    for path in (shared / "seeds").glob("*.txt"):
        words = _words(path.read_text(encoding="utf-8"))
        windows.update(tuple(words[i:i + WINDOW]) for i in range(len(words) - WINDOW + 1))
    for path in SHIPPED:
        words = _words(path.read_text(encoding="utf-8"))
        for i in range(len(words) - WINDOW + 1):
            assert tuple(words[i:i + WINDOW]) not in windows, (path.name, words[i:i + WINDOW])


def test_registry_commands_replay_through_their_services(empty_db: str) -> None:
    report = run_text(empty_db, """
title: Registry commands
sources: [domain-notes]
base: {load_default: CSTO}
steps:
  - {on: 2026-12-01, do: decline_chair, year: 2027, state: TJ,
     expect: {chair: {on: 2027-06-01, is: BY, basis: computed}}}
  - {on: 2030-01-10, do: change_status, state: CN, status: observer,
     expect: {status: {state: CN, is: observer}}}
  - {on: 2030-03-01, do: end_status, state: CN, status: observer,
     expect: {status: {state: CN, is: none}}}
  - {on: 2030-04-01, do: withdrawal_notice, state: KG,
     expect: {members_include: [KG], status: {state: KG, as_of: 2030-10-01, is: withdrawn}}}
checks:
  - status: {state: CN, as_of: 2030-02-01, is: observer}
  - members: {as_of: 2030-10-01, exclude: [KG]}
""")
    assert report.ok, [r.failure for r in report.steps] + [c.detail for c in report.checks]
    assert report.steps[0].lines[0] == "TJ declines the chair of 2027; it passes to BY"
    assert report.steps[3].lines[0] == "KG gave notice on 2030-04-01; withdrawn from 2030-10-01"


def test_the_bishkek_2025_replay_records_armenias_written_answer_as_a_proxy(
        empty_db: str) -> None:
    """Issue 12, point 7: the Secretariat's proxy for the absent delegation is marked as
    one, names the note it rests on, and leaves the decisions in a limited format."""
    from collsec.decisions.tables import ParticipantRow, PositionRow
    from collsec.documents.tables import DocumentRow

    report = runner.run(runner.read_scenario(runner.find("bishkek-csc-2025", "CSTO")),
                        db.engine_for(empty_db))
    assert report.ok
    with db.read_session(db.engine_for(empty_db)) as s:
        seated = sorted(s.execute(select(ParticipantRow.state)).scalars())
        proxies = s.execute(select(PositionRow).where(PositionRow.state == "AM")).scalars().all()
        docs = s.execute(select(DocumentRow).where(DocumentRow.number.like("CSC-2025-%"))
                         ).scalars().all()
    assert seated == ["BY", "KG", "KZ", "RU", "TJ"]  # Armenia's seat stays empty
    assert len(proxies) == 3
    assert all(p.by_proxy and p.position == "not_participating"
               and "written reply" in p.instruction for p in proxies)
    assert sorted(d.bound_states.split() == ["BY", "KG", "KZ", "RU", "TJ"] for d in docs) \
        == [True, True, True]


def test_a_limited_format_expectation_is_checked(empty_db: str) -> None:
    everyone = "{AM: support, BY: support, KG: support, KZ: support, RU: support, TJ: support}"
    report = run_text(empty_db, SESSION_2013 + f"""
  - {{on: 2013-05-28, do: position, item: i, positions: {everyone},
     expect: {{limited_format: true}}}}
""")
    assert not report.ok
    assert report.steps[-1].failure == "expected a limited format, but it is not one"


def test_seat_all_seats_every_entitled_delegation_but_those_left_out(empty_db: str) -> None:
    report = run_text(empty_db, SESSION_2013 + """
  - {on: 2013-05-28, do: seat_all, session: s, except: [AM]}
  - {on: 2013-05-28, do: position, item: i, positions: {BY: support, KG: support,
     KZ: support, RU: support, TJ: support},
     expect: {limited_format: true, bound: [BY, KG, KZ, RU, TJ]}}
""")
    assert report.ok, [r.failure for r in report.steps]
    assert report.steps[2].lines == ("seated BY, KG, KZ, RU, TJ at session 1",)
