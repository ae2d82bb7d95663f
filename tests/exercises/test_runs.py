"""Exercise mode on the embedded CSTO data: the staff's scenario and run, injects sent
when their minute comes, the teams' reactions and the staff's scores, and the rule the
decision point keeps: a run's incidents are seen in that run only, never in the real
picture, list, map, stream or a report's subjects; removal takes the run's objects away."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.crisis import geo
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.tables import IncidentRow
from collsec.crisis.live import broker
from collsec.crisis.live.model import Announcement
from collsec.exercises import runs, service
from tests.operations.conftest import NOW, officer

MINUTE = dt.timedelta(minutes=1)


def scenario(code: str = "BORDER-CPX") -> dict[str, Any]:
    """A command-post scenario: a message to Tajikistan's centre at once, an incident on
    the Tajik-Afghan border at minute 30, a request to Kazakhstan at minute 60."""
    return {"code": code, "name_en": "Border incident CPX", "name_ru": "КШУ: пограничный инцидент",
            "injects": [
                {"minutes": 0, "kind": "message", "team": "delegation:TJ",
                 "title": "Reports of armed groups gathering",
                 "body": "Check with the border service.",
                 "expected": [{"text": "Acknowledge within 15 minutes", "points": 2}]},
                {"minutes": 30, "kind": "incident", "team": "delegation:TJ",
                 "title": "Armed group crosses the border", "body": "Near the river crossing.",
                 "incident": {"type": "armed_incursion", "severity": 4, "lon": 69.4, "lat": 37.3},
                 "expected": [{"text": "Report to the CRC", "points": 3},
                              {"text": "Ask for consultations", "points": 5}]},
                {"minutes": 60, "kind": "request", "team": "delegation:KZ",
                 "title": "Tajikistan asks for assistance", "body": "",
                 "expected": [{"text": "State the position", "points": 4}]}]}


def _crc(s: Session) -> tuple[auth.Actor, auth.Clearance]:
    return officer(s, "crc-director", "organ:CRC", ("duty_officer",))


def _started(s: Session) -> tuple[auth.Actor, auth.Clearance, runs.Run]:
    actor, c = _crc(s)
    runs.add_scenario(s, c, actor, definition=scenario(), now=NOW)
    return actor, c, runs.start_run(s, c, actor, "BORDER-CPX", name="CPX spring", now=NOW)


def _player(s: Session, name: str, principal: str, run_id: int,
            roles: tuple[str, ...] = ("duty_officer",)) -> tuple[auth.Actor, auth.Clearance]:
    actor, c = officer(s, name, principal, roles)
    found = runs.playing(s, c, run_id)
    assert found is not None
    return actor, found[0]


def test_a_run_sends_each_inject_when_its_minute_comes(tx: Session) -> None:
    actor, c, run = _started(tx)
    assert list(run.sent) == [1]  # minute 0 goes with the start
    assert runs.send_due(tx, c, actor, run.row.id, now=NOW + 29 * MINUTE) == []
    assert runs.tick(tx, runs.CLOCK, now=NOW + 30 * MINUTE) == {run.row.id: [2]}
    assert runs.send_due(tx, c, actor, run.row.id, now=NOW + 90 * MINUTE) == [3]
    sent = runs.run(tx, c, run.row.id).sent
    assert sent[2].incident_id is not None and sent[3].incident_id is None
    incident = tx.get_one(IncidentRow, sent[2].incident_id)
    assert incident.exercise_run == run.row.id and incident.owner == "organ:CRC"
    assert incident.title == f"EXERCISE {run.row.id}: Armed group crosses the border"
    steps = [x.command for x in journal.pending(tx).steps]
    assert steps.count("exercises.send_injects") == 3 and "crisis.report_incident" in steps


def test_a_run_s_incident_is_never_seen_in_the_real_world(tx: Session) -> None:
    actor, c, run = _started(tx)
    runs.send_due(tx, c, actor, run.row.id, now=NOW + 30 * MINUTE)
    made = runs.run(tx, c, run.row.id).sent[2].incident_id
    real_actor, real = officer(tx, "kz-duty", "delegation:KZ", ("duty_officer",))
    real_one = incidents.report_incident(
        tx, real, real_actor, type="armed_incursion", severity=3, occurred_at=NOW,
        geometry={"type": "Point", "coordinates": [71.4, 51.1]}, title="Real one", now=NOW)
    box: geo.BBox = (60.0, 30.0, 80.0, 55.0)
    seen = {r.id for r in incidents.list_incidents(tx, real, now=NOW + MINUTE)}
    assert real_one.id in seen and made not in seen
    picture = incidents.situation(tx, real, bbox=box, limit=100, now=NOW + MINUTE)
    assert made not in {r.id for r in picture.incidents}
    view = incidents.map_view(tx, real, bbox=box, zoom=4, now=NOW + MINUTE)
    assert made not in {r.id for r in view.incidents} and view.total == sum(
        1 for r in incidents.list_incidents(tx, real, bbox=box, now=NOW))
    with pytest.raises(NotFound):
        incidents.get_incident(tx, real, real_actor, made, now=NOW).unwrap()
    # the player reads the run's incident, and no real one
    p_actor, playing = _player(tx, "kz-player", "delegation:KZ", run.row.id)
    assert {r.id for r in incidents.list_incidents(tx, playing, now=NOW + MINUTE)} == {made}
    assert incidents.get_incident(tx, playing, p_actor, made, now=NOW).unwrap().id == made
    with pytest.raises(NotFound):
        incidents.get_incident(tx, playing, p_actor, real_one.id, now=NOW).unwrap()


def test_what_a_player_reports_belongs_to_the_run(tx: Session) -> None:
    _, _, run = _started(tx)
    p_actor, playing = _player(tx, "tj-player", "delegation:TJ", run.row.id)
    made = incidents.report_incident(
        tx, playing, p_actor, type="armed_incursion", severity=3, occurred_at=NOW,
        geometry={"type": "Point", "coordinates": [69.0, 37.5]}, title="Patrol fired on",
        now=NOW)
    row = tx.get_one(IncidentRow, made.id)
    assert row.exercise_run == run.row.id and row.title.startswith(f"EXERCISE {run.row.id}: ")
    _, real = officer(tx, "tj-real", "delegation:TJ", ("duty_officer",))
    assert made.id not in {r.id for r in incidents.list_incidents(tx, real, now=NOW)}
    # the player's own update is open to it; the real centre's is not
    incidents.update_incident(tx, playing, p_actor, made.id, note="patrol withdrew", now=NOW)
    with pytest.raises(NotFound):
        incidents.update_incident(tx, real, p_actor, made.id, note="x", now=NOW)


def test_every_command_not_declared_for_exercises_refuses_a_player(tx: Session) -> None:
    _, _, run = _started(tx)
    p_actor, playing = _player(tx, "js-player", "organ:JS", run.row.id, ("editor",))
    with pytest.raises(Conflict, match="not open during an exercise"):
        service.plan(tx, playing, p_actor, series="rubezh", year=2027, name_en="Rubezh-2027",
                     host="TJ", states=["TJ"], now=NOW)
    with pytest.raises(Conflict, match="not open during an exercise"):
        runs.remove_run(tx, playing, p_actor, run.row.id, now=NOW)


def test_a_stream_hands_a_run_s_incident_to_its_players_only(tx: Session) -> None:
    actor, c, run = _started(tx)
    runs.send_due(tx, c, actor, run.row.id, now=NOW + 30 * MINUTE)
    made = runs.run(tx, c, run.row.id).sent[2].incident_id
    assert made is not None
    _, real = officer(tx, "kz-real", "delegation:KZ", ("duty_officer",))
    _, playing = _player(tx, "kz-player", "delegation:KZ", run.row.id)
    _, other = officer(tx, "kz-other", "delegation:KZ", ("duty_officer",))
    other = dataclasses.replace(other, exercise=run.row.id + 1)  # another run's player
    given, audited = broker.route(tx, [Announcement(1, 0, made, "reported", 0.0)],
                                  {"real": ("incident", real), "playing": ("incident", playing),
                                   "other": ("incident", other)})
    assert set(given) == {"playing"} and [a[0] for a in audited] == ["playing"]
    assert f"EXERCISE {run.row.id}: " in given["playing"][0].data


def test_a_report_of_the_real_world_cannot_cite_a_run_s_incident(tx: Session) -> None:
    from collsec.exchange import service as exchange

    actor, c, run = _started(tx)
    runs.send_due(tx, c, actor, run.row.id, now=NOW + 30 * MINUTE)
    made = runs.run(tx, c, run.row.id).sent[2].incident_id
    writer, wc = officer(tx, "kz-writer", "delegation:KZ", ("reporting_analyst",))
    with pytest.raises(NotFound, match="unknown incident"):
        exchange.write_report(tx, wc, writer, title="On the crossing", body="What we know.",
                              tlp="amber", scope="members",
                              about=[{"kind": "incident", "ref": str(made)}], now=NOW)


def test_teams_react_to_their_own_injects_and_the_staff_score_them(tx: Session) -> None:
    actor, c, run = _started(tx)
    rid = run.row.id
    runs.send_due(tx, c, actor, rid, now=NOW + 30 * MINUTE)
    tj_actor, tj = _player(tx, "tj-player", "delegation:TJ", rid)
    kz_actor, kz = _player(tx, "kz-player", "delegation:KZ", rid)
    runs.react(tx, tj, tj_actor, rid, 2, text="Reported to the CRC at 09:40", now=NOW + 40 * MINUTE)
    with pytest.raises(NotFound, match="no inject 2 was sent to delegation:KZ"):
        runs.react(tx, kz, kz_actor, rid, 2, text="not ours", now=NOW)
    with pytest.raises(NotFound, match="no inject 3"):  # not sent yet
        runs.react(tx, kz, kz_actor, rid, 3, text="early", now=NOW)
    _, tj_real = officer(tx, "tj-real", "delegation:TJ", ("duty_officer",))
    with pytest.raises(Conflict, match="enter exercise run"):
        runs.react(tx, tj_real, tj_actor, rid, 2, text="outside", now=NOW)
    runs.score(tx, c, actor, rid, 1, 1, points=2, now=NOW + 50 * MINUTE)
    runs.score(tx, c, actor, rid, 2, 1, points=3, now=NOW + 50 * MINUTE)
    runs.score(tx, c, actor, rid, 2, 2, points=1, note="late", now=NOW + 50 * MINUTE)
    runs.score(tx, c, actor, rid, 2, 2, points=2, note="on review", now=NOW + 55 * MINUTE)
    with pytest.raises(InvalidInput, match="from 0 to 5"):
        runs.score(tx, c, actor, rid, 2, 2, points=6, now=NOW)
    with pytest.raises(InvalidInput, match="no expectation 3"):
        runs.score(tx, c, actor, rid, 2, 3, points=1, now=NOW)
    with pytest.raises(Conflict, match="not been sent"):
        runs.score(tx, c, actor, rid, 3, 1, points=1, now=NOW)
    with pytest.raises(auth.NotEntitled):
        runs.score(tx, tj, tj_actor, rid, 1, 1, points=2, now=NOW)
    found = runs.run(tx, c, rid)
    assert (found.tally.scored, found.tally.possible, found.tally.unscored) == (7, 10, 0)
    assert found.tally_of("delegation:TJ").scored == 7
    assert found.tally_of("delegation:KZ").possible == 0
    # a team sees the injects sent to it, the staff the whole timeline
    assert [i.number for i in runs.for_team(found, tj)] == [1, 2]
    assert [i.number for i in runs.for_team(found, kz)] == []
    assert [i.number for i in runs.for_team(found, c)] == [1, 2, 3]


def test_an_ended_run_is_read_only_and_its_removal_takes_what_it_made(tx: Session) -> None:
    actor, c, run = _started(tx)
    rid = run.row.id
    runs.send_due(tx, c, actor, rid, now=NOW + 30 * MINUTE)
    tj_actor, tj = _player(tx, "tj-player", "delegation:TJ", rid)
    runs.react(tx, tj, tj_actor, rid, 1, text="Acknowledged", now=NOW + 5 * MINUTE)
    with pytest.raises(Conflict, match="end it"):
        runs.remove_run(tx, c, actor, rid, now=NOW)
    runs.end_run(tx, c, actor, rid, now=NOW + 2 * 60 * MINUTE)
    ended = runs.playing(tx, officer(tx, "tj-late", "delegation:TJ", ("duty_officer",))[1], rid)
    assert ended is not None and ended[0].actions == frozenset({"read"})
    with pytest.raises(Conflict, match="takes no more play"):
        runs.react(tx, tj, tj_actor, rid, 1, text="again", now=NOW)
    runs.score(tx, c, actor, rid, 1, 1, points=1, now=NOW + 3 * 60 * MINUTE)
    runs.add_lesson(tx, c, actor, rid, text="The CRC's hotline took too long.", now=NOW)
    before = tx.scalar(select(func.count()).select_from(IncidentRow))
    summary = runs.remove_run(tx, c, actor, rid, now=NOW + 4 * 60 * MINUTE)
    assert summary["incidents"] == 1 and summary["reactions"] == 1 and summary["scored"] == 1
    assert tx.scalar(select(func.count()).select_from(IncidentRow)) == before - 1
    assert tx.scalar(select(func.count()).select_from(IncidentRow).where(
        IncidentRow.exercise_run == rid)) == 0
    found = runs.run(tx, c, rid)
    assert found.row.status == "removed" and not found.sent and not found.reactions
    assert [x.text for x in found.lessons] == ["The CRC's hotline took too long."]
    assert found.summary()["teams"]["delegation:TJ"]["scored"] == 1
    [step] = [x for x in journal.pending(tx).steps if x.command == "exercises.remove_run"]
    assert step.payload["incidents"] == 1
    assert runs.playing(tx, c, rid) is None  # a removed run is played no more


def test_only_the_staff_write_and_start_scenarios_and_bad_ones_are_refused(tx: Session) -> None:
    actor, c = _crc(tx)
    kz_actor, kz = officer(tx, "kz-duty", "delegation:KZ", ("duty_officer",))
    with pytest.raises(auth.NotEntitled):
        runs.add_scenario(tx, kz, kz_actor, definition=scenario(), now=NOW)
    bad = scenario()
    bad["injects"][1]["incident"]["type"] = "no_such_type"
    with pytest.raises(NotFound, match="inject 2: unknown incident type"):
        runs.add_scenario(tx, c, actor, definition=bad, now=NOW)
    bad = scenario()
    bad["injects"][0]["team"] = "delegation:ZZ"
    with pytest.raises(NotFound, match="inject 1"):
        runs.add_scenario(tx, c, actor, definition=bad, now=NOW)
    runs.add_scenario(tx, c, actor, definition=scenario(), exercise="INT-2022", now=NOW)
    with pytest.raises(Conflict, match="already"):
        runs.add_scenario(tx, c, actor, definition=scenario(), now=NOW)
    with pytest.raises(NotFound):
        runs.start_run(tx, c, actor, "NO-SUCH", name="x", now=NOW)
    with pytest.raises(InvalidInput, match="needs a name"):
        runs.start_run(tx, c, actor, "BORDER-CPX", name="  ", now=NOW)
    views = runs.scenarios(tx, c)
    assert views[0].exercise == "INT-2022" and views[0].scenario.teams == (
        "delegation:KZ", "delegation:TJ")
    # the teams see their runs, others none
    started = runs.start_run(tx, c, actor, "BORDER-CPX", name="CPX", now=NOW)
    _, am = officer(tx, "am-duty", "delegation:AM", ("duty_officer",))
    assert [r.id for r in runs.runs(tx, kz)] == [started.row.id] and runs.runs(tx, am) == []
    assert runs.playing(tx, am, started.row.id) is None
    with pytest.raises(NotFound):
        runs.run(tx, am, started.row.id)
