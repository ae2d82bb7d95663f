"""The exercises as their users work them: anyone reads them (a series since its first,
one exercise with its participants and the decisions on it, each state's part); the Joint
Staff or the Secretariat plans an exercise and records a decision that moves, postpones,
cancels it or says it was held, with who decided and why (journaled)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, NotFound
from collsec.exercises import model
from collsec.exercises.tables import ExerciseDecisionRow, ExerciseParticipantRow, ExerciseRow
from collsec.registry import service as registry

MAX_TEXT = 500


@dataclass(frozen=True)
class Participant:
    state: str
    personnel: float | None
    qual: str
    note_en: str
    note_ru: str


@dataclass(frozen=True)
class Decision:
    date: dt.date
    precision: str
    status: str
    decided_by_en: str
    decided_by_ru: str
    reason_en: str
    reason_ru: str
    sources: tuple[str, ...]
    recorded_by: str | None
    note_en: str = ""
    note_ru: str = ""


@dataclass(frozen=True)
class Exercise:
    row: ExerciseRow
    participants: tuple[Participant, ...]
    decisions: tuple[Decision, ...]

    @property
    def details(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.row.details or "{}")
        return data

    def status_on(self, day: dt.date) -> str:
        """Its status as known on `day` (`model.status_on`)."""
        r = self.row
        return model.status_on(model.Exercise(
            r.code, r.series, model.Wording(r.name_en, r.name_ru), r.year, r.status, (), "",
            start=r.start, end=r.end, decisions=tuple(
                model.Decision(d.date, d.precision, d.status, ()) for d in self.decisions)),
            day)


def _read(session: Session, rows: list[ExerciseRow]) -> list[Exercise]:
    ids = [r.id for r in rows]
    parts: dict[int, list[Participant]] = {}
    for p in session.execute(select(ExerciseParticipantRow).where(
            ExerciseParticipantRow.exercise_id.in_(ids))
            .order_by(ExerciseParticipantRow.id)).scalars():
        parts.setdefault(p.exercise_id, []).append(
            Participant(p.state, p.personnel, p.qual, p.note_en, p.note_ru))
    decisions: dict[int, list[Decision]] = {}
    for d in session.execute(select(ExerciseDecisionRow).where(
            ExerciseDecisionRow.exercise_id.in_(ids))
            .order_by(ExerciseDecisionRow.date, ExerciseDecisionRow.id)).scalars():
        decisions.setdefault(d.exercise_id, []).append(Decision(
            d.date, d.precision, d.status, d.decided_by_en, d.decided_by_ru, d.reason_en,
            d.reason_ru, tuple(d.sources.split()), d.recorded_by, d.note_en, d.note_ru))
    return [Exercise(r, tuple(parts.get(r.id, ())), tuple(decisions.get(r.id, ())))
            for r in rows]


@query()
def exercises(session: Session, c: Clearance, *, series: str | None = None,
              state: str | None = None, year: int | None = None, org: str | None = None
              ) -> list[Exercise]:
    """The organization's exercises, oldest first: of one series, one year, or those one
    state hosted or took part in."""
    org = auth.org_of(c, org)
    auth.require(c, "read")
    stmt = select(ExerciseRow).where(ExerciseRow.org == org)
    if series is not None:
        if series not in model.SERIES:
            raise InvalidInput("series is one of {allowed}", allowed=", ".join(model.SERIES))
        stmt = stmt.where(ExerciseRow.series == series)
    if year is not None:
        stmt = stmt.where(ExerciseRow.year == year)
    if state is not None:
        code = registry.get_state(session, state).code
        took_part = select(ExerciseParticipantRow.exercise_id).where(
            ExerciseParticipantRow.state == code)
        stmt = stmt.where((ExerciseRow.host == code) | ExerciseRow.id.in_(took_part))
    rows = list(session.execute(stmt.order_by(ExerciseRow.year, ExerciseRow.start,
                                              ExerciseRow.code)).scalars())
    return _read(session, rows)


def _row(session: Session, org: str, code: str) -> ExerciseRow:
    row = session.execute(select(ExerciseRow).where(
        ExerciseRow.org == org, ExerciseRow.code == code.upper())).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown exercise {exercise}", exercise=code)
    return row


@query()
def exercise(session: Session, c: Clearance, code: str, *, org: str | None = None
             ) -> Exercise:
    org = auth.org_of(c, org)
    auth.require(c, "read")
    return _read(session, [_row(session, org, code)])[0]


def _text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput("{name} is longer than {limit} characters", name=name,
                           limit=MAX_TEXT)
    return text


@command("exercises.plan", action="plan_exercises")
def plan(session: Session, c: Clearance, actor: auth.Actor, *, series: str, year: int,
         name_en: str, name_ru: str = "", host: str | None = None,
         start: dt.date | None = None, end: dt.date | None = None,
         states: list[str] | None = None, forces: list[str] | None = None,
         now: dt.datetime, org: str | None = None) -> ExerciseRow:
    """A planned exercise (plan_exercises: the Joint Staff or the Secretariat), coded after
    its series and year as the record codes them (INT-2027)."""
    org = auth.org_of(c, org)
    auth.require_for(c, "plan_exercises")
    if series not in model.SERIES:
        raise InvalidInput("series is one of {allowed}", allowed=", ".join(model.SERIES))
    if not 1990 <= year <= 2100:
        raise InvalidInput("year {year} is not a year of the organization", year=year)
    if start is not None and start.year != year:
        raise InvalidInput("the exercise of {year} cannot start on {start}", year=year,
                           start=start)
    if start is not None and end is not None and end < start:
        raise InvalidInput("the exercise ends ({end}) before it starts ({start})", end=end,
                           start=start)
    name = _text(name_en, "name_en")
    if not name:
        raise InvalidInput("an exercise needs its name")
    prefix = {"interaction": "INT", "search": "SRC", "echelon": "ECH",
              "indestructible_brotherhood": "IB", "combat_brotherhood": "CB",
              "rubezh": "RUB"}.get(series, series[:3].upper())
    code = f"{prefix}-{year}"
    taken = session.execute(select(func.count()).select_from(ExerciseRow).where(
        ExerciseRow.org == org, ExerciseRow.code.like(f"{code}%"))).scalar_one()
    if taken:
        code = f"{code}-{taken + 1}"
    host_code = registry.get_state(session, host).code if host else None
    members = sorted({registry.get_state(session, s).code for s in states or []})
    row = ExerciseRow(org=org, code=code, series=series, year=year, status="planned",
                      name_en=name, name_ru=_text(name_ru, "name_ru") or name, host=host_code,
                      start=start, end=end, precision="day" if start else "year",
                      forces=" ".join(forces or []), sources="", confidence="high",
                      origin="user")
    session.add(row)
    session.flush()
    session.add_all(ExerciseParticipantRow(exercise_id=row.id, state=s) for s in members)
    journal.record(session, actor=actor, command="exercises.plan", payload={
        "exercise": code, "series": series, "year": year, "host": host_code,
        "states": members}, at=now)
    return row


@command("exercises.record_decision", action="plan_exercises")
def record_decision(session: Session, c: Clearance, actor: auth.Actor, code: str, *,
                    status: str, on: dt.date, decided_by: str, reason: str = "",
                    now: dt.datetime, org: str | None = None) -> Decision:
    """A decision on an exercise: moved, postponed, cancelled (with who decided and why) or
    held. A cancelled or held exercise takes no later decision; none is dated after today."""
    org = auth.org_of(c, org)
    auth.require_for(c, "plan_exercises")
    row = _row(session, org, code)
    if status not in model.STATUSES or status == "planned":
        raise InvalidInput("a decision makes it one of {allowed}",
                           allowed=", ".join(s for s in model.STATUSES if s != "planned"))
    if on > now.date():
        raise InvalidInput("a decision of {day} is not taken yet", day=on)
    if row.status in ("cancelled", "held"):
        raise Conflict("exercise {exercise} is {status}: it takes no further decision",
                       exercise=row.code, status=row.status)
    who = _text(decided_by, "decided_by")
    why = _text(reason, "reason")
    if not who:
        raise InvalidInput("say who decided")
    if status in ("moved", "postponed", "cancelled") and not why:
        raise InvalidInput("say why it is {status}", status=status)
    session.add(ExerciseDecisionRow(exercise_id=row.id, date=on, precision="day",
                                    status=status, decided_by_en=who, decided_by_ru=who,
                                    reason_en=why, reason_ru=why, recorded_by=actor.name,
                                    note_en="", note_ru=""))
    row.status = status
    journal.record(session, actor=actor, command="exercises.record_decision", payload={
        "exercise": row.code, "status": status, "on": on, "decided_by": who,
        "reason": why}, at=now)
    return Decision(on, "day", status, who, who, why, why, (), actor.name)
