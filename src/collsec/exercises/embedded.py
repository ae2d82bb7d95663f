"""Loading an organization's embedded exercises (exercises.yaml, checked by `model`) as
part of the registry's default load: the rows earlier loads made go and the data's are
written again; an exercise planned here (origin 'user') stays. With `until`, exercises
starting on or after that day, and decisions dated on or after it, are left out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core.auth import service as auth
from collsec.core.errors import CollsecError, InvalidInput
from collsec.crisis.incidents import service as incidents
from collsec.exercises import model, scenario
from collsec.exercises.run_tables import RunRow, ScenarioRow
from collsec.exercises.tables import ExerciseDecisionRow, ExerciseParticipantRow, ExerciseRow


def _w(w: model.Wording | None) -> tuple[str, str]:
    return ("", "") if w is None else (w.en, w.ru)


def _words(w: model.Wording | None) -> dict[str, str] | None:
    return None if w is None else {"en": w.en, "ru": w.ru}


def details(e: model.Exercise) -> dict[str, Any]:
    """What a page shows of an exercise but no query selects by, as stored JSON."""
    return {"personnel": [{"value": c.value, "qual": c.qual, "sources": list(c.sources),
                           "stated": c.stated.isoformat() if c.stated else None,
                           "note": _words(c.note)} for c in e.personnel],
            "equipment": _words(e.equipment), "dates_note": _words(e.dates_note),
            "observers": _words(e.observers)}


def remove_default(session: Session, orgs: list[str]) -> None:
    ids = select(ExerciseRow.id).where(ExerciseRow.org.in_(orgs),
                                       ExerciseRow.origin == "default")
    session.execute(delete(ExerciseDecisionRow).where(ExerciseDecisionRow.exercise_id.in_(ids)))
    session.execute(delete(ExerciseParticipantRow).where(
        ExerciseParticipantRow.exercise_id.in_(ids)))
    session.execute(delete(ExerciseRow).where(ExerciseRow.org.in_(orgs),
                                              ExerciseRow.origin == "default"))
    session.flush()


def load(session: Session, org: str, items: Iterable[Mapping[str, Any]],
         states: Iterable[str], sources: Iterable[str], forces: Iterable[str], *,
         until: dt.date | None = None) -> int:
    known = model.Known(frozenset(states), frozenset(sources), frozenset(forces))
    try:
        exercises = model.exercises_from(items, known)
    except ValueError as exc:
        raise InvalidInput("the exercises of {org} do not load: {problem}", org=org,
                           problem=str(exc)) from None
    taken = set(session.execute(select(ExerciseRow.code).where(ExerciseRow.org == org))
                .scalars())
    count = 0
    for e in exercises:
        if until is not None and (e.start or dt.date(e.year, 1, 1)) >= until:
            continue
        if e.code in taken:  # one planned here under the same code stays as it is
            continue
        kind, rng, note = _w(e.kind), _w(e.range), _w(e.note)
        first = e.personnel_on_record()
        row = ExerciseRow(
            org=org, code=e.code, series=e.series, year=e.year, status=e.status,
            name_en=e.name.en, name_ru=e.name.ru, kind_en=kind[0], kind_ru=kind[1],
            forces=" ".join(e.forces), host=e.host, range_en=rng[0], range_ru=rng[1],
            start=e.start, end=e.end, precision=e.precision, part_of=e.part_of,
            observer_states=" ".join(e.observer_states),
            personnel=first.value if first else None, personnel_qual=first.qual if first
            else "=", details=json.dumps(details(e), ensure_ascii=False),
            sources=" ".join(e.sources), confidence=e.confidence, note_en=note[0],
            note_ru=note[1], origin="default")
        session.add(row)
        session.flush()
        for p in e.participants:
            pn = _w(p.note)
            session.add(ExerciseParticipantRow(exercise_id=row.id, state=p.state,
                                               personnel=p.personnel, qual=p.qual,
                                               note_en=pn[0], note_ru=pn[1]))
        for d in e.decisions:
            if until is not None and d.date >= until:
                continue
            by, why, dn = _w(d.decided_by), _w(d.reason), _w(d.note)
            session.add(ExerciseDecisionRow(
                exercise_id=row.id, date=d.date, precision=d.precision, status=d.status,
                decided_by_en=by[0], decided_by_ru=by[1], reason_en=why[0],
                reason_ru=why[1], sources=" ".join(d.sources), note_en=dn[0],
                note_ru=dn[1]))
        count += 1
    session.flush()
    return count


EMBEDDED_AUTHOR = "embedded data"  # written_by of a scenario the organization's folder holds


def load_scenarios(session: Session, org: str, items: Iterable[Mapping[str, Any]], *,
                   until: dt.date | None = None) -> int:
    """The training scenarios of the organization's folder (exercise_scenarios.yaml), each
    checked as the staff's own would be: its injects by `scenario.load_scenario`, its teams
    against the registry, its incidents against the crisis taxonomy. One the staff wrote
    under the same code wins; an earlier load's copy is replaced while no run uses it."""
    tax = incidents.taxonomy(org)
    count = 0
    for n, raw in enumerate(items, start=1):
        data = dict(raw)
        written = data.pop("written", None)
        if not isinstance(written, dt.date):
            raise InvalidInput("exercise_scenarios.yaml #{number}: `written` is the day the "
                               "scenario was written", number=n)
        if until is not None and written >= until:
            continue
        s = scenario.load_scenario(data)
        at = dt.datetime.combine(written, dt.time(), dt.UTC)
        for i in s.injects:
            try:
                auth.release_keys(session, [i.team], org)
                if i.incident is not None:
                    spec = dict(i.incident)
                    incidents.check_report(
                        tax, org, owner=i.team, reported_by=EMBEDDED_AUTHOR,
                        type=spec.get("type"), severity=spec.get("severity"), occurred_at=at,
                        geometry={"type": "Point",
                                  "coordinates": [spec.get("lon"), spec.get("lat")]},
                        title=i.title, description=i.body, exercise=None, now=at)
            except CollsecError as exc:
                raise exc.within("scenario {code}, inject {number}", code=s.code,
                                 number=i.number) from None
        row = session.execute(select(ScenarioRow).where(
            ScenarioRow.org == org, ScenarioRow.code == s.code)).scalar_one_or_none()
        if row is not None and (row.written_by != EMBEDDED_AUTHOR or session.execute(
                select(RunRow.id).where(RunRow.scenario_id == row.id)).first()):
            continue  # the staff's own, or run already: a run keeps what it ran
        if row is not None:
            session.delete(row)
            session.flush()
        session.add(ScenarioRow(org=org, code=s.code, name_en=s.name_en, name_ru=s.name_ru,
                                timeline=json.dumps(scenario.as_data(s), ensure_ascii=False,
                                                    separators=(",", ":")),
                                written_at=at, written_by=EMBEDDED_AUTHOR))
        count += 1
    session.flush()
    return count
