"""The chairmanship and the register of sessions: who chaired on a date and why, who chaired
in a year, a state declining its turn, the sessions the public record knows.

Every answer names the charter's rule for the period (`chairmanship.periods`) and the
record it rests on: a session of the register, a year's record, or the rotation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import i18n, journal, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command, query
from collsec.core.errors import InvalidInput
from collsec.registry import chairmanship as rules
from collsec.registry import model
from collsec.registry.charter import Charter, chair_period_data
from collsec.registry.service import (
    Fact,
    Named,
    _fact,
    _memberships,
    _states,
    _to_model,
    charter_for,
    get_organization,
    get_state,
)
from collsec.registry.tables import (
    ChairDeclineRow,
    ChairmanshipRow,
    SessionRecordRow,
    StateRow,
)

# Words for the keys an answer carries (English msgids; Russian in messages.po).
BASES = {"recorded": "recorded", "host": "host of the session (presumed)",
         "computed": "computed", "unknown": "unknown"}
RULES = {rules.REGULAR_SESSION: "from one regular session to the next",
         rules.CALENDAR_YEAR: "calendar year"}
SESSION_KINDS = {"regular": "regular", "extraordinary": "extraordinary",
                 "unclear": "kind unclear"}
SESSION_FORMATS = {"in_person": "in person", "video": "by video",
                   "hybrid": "in person and by video", "unknown": "format unknown"}


@dataclass(frozen=True)
class SessionRecord:
    """A session as the register has it."""

    id: int
    org: str
    body: str
    date: dt.date
    kind: str
    format: str
    status: str
    city_en: str
    city_ru: str
    host: Named | None
    documents_en: str
    documents_ru: str
    chair: Named | None  # the state that took the chair here, when recorded
    chair_fact: Fact | None
    fact: Fact
    absent: tuple[Named, ...] = ()  # members the record says stayed away

    def city(self, lang: str) -> str:
        return self.city_ru if lang == "ru" else self.city_en

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "organization": self.org, "body": self.body,
            "date": self.date.isoformat(), "kind": self.kind, "format": self.format,
            "status": self.status, "city": {"en": self.city_en, "ru": self.city_ru},
            "host": None if self.host is None else _named_dict(self.host),
            "documents": {"en": self.documents_en, "ru": self.documents_ru},
            "chair": None if self.chair is None else _named_dict(self.chair),
            "chair_source": None if self.chair_fact is None else _fact_dict(self.chair_fact),
            "absent": [a.code for a in self.absent], **_fact_dict(self.fact)}


@dataclass(frozen=True)
class ChairView:
    """Who chaired from `since` to `until` (exclusive) and why: `basis` recorded, host,
    computed or unknown (`state` None); `rule` the period's term; `reason_*` the why in
    words; `fact` what the answer rests on; `rule_fact` the period's own sources."""

    state: Named | None
    since: dt.date | None
    until: dt.date | None
    basis: str
    rule: str | None
    year: int | None
    session: SessionRecord | None
    next_session: dt.date | None
    reason_en: str
    reason_ru: str
    fact: Fact
    rule_fact: Fact

    def reason(self, lang: str) -> str:
        return self.reason_ru if lang == "ru" else self.reason_en

    @property
    def last_day(self) -> dt.date | None:
        """The term's last day (`until` is the first day after it)."""
        return None if self.until is None else self.until - dt.timedelta(days=1)

    def to_dict(self) -> dict[str, Any]:
        """The answer as the API and `collsec chair --json` give it."""
        return {
            "state": None if self.state is None else _named_dict(self.state),
            "since": _iso(self.since), "until": _iso(self.until), "basis": self.basis,
            "rule": self.rule, "year": self.year,
            "session": None if self.session is None else self.session.to_dict(),
            "next_session": _iso(self.next_session),
            "reason": {"en": self.reason_en, "ru": self.reason_ru},
            **_fact_dict(self.fact), "rule_source": _fact_dict(self.rule_fact)}


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _named_dict(n: Named) -> dict[str, str]:
    return {"code": n.code, "name_en": n.name_en, "name_ru": n.name_ru}


def _fact_dict(f: Fact) -> dict[str, Any]:
    return {"sources": f.sources, "confidence": f.confidence,
            "note": {"en": f.note_en, "ru": f.note_ru}}


def _named(states: dict[str, StateRow], code: str | None) -> Named | None:
    if code is None:
        return None
    st = states[code]
    return Named(st.code, st.name_en, st.name_ru)


def _record(row: SessionRecordRow, states: dict[str, StateRow]) -> SessionRecord:
    chair_fact = None
    if row.chair:
        chair_fact = Fact(row.chair_sources.split(), row.chair_confidence or row.confidence,
                          row.chair_note_en, row.chair_note_ru)
    return SessionRecord(row.id, row.org, row.body, row.date, row.kind, row.format,
                         row.status, row.city_en, row.city_ru, _named(states, row.host),
                         row.documents_en, row.documents_ru, _named(states, row.chair),
                         chair_fact, _fact(row),
                         tuple(n for n in (_named(states, c) for c in row.absent.split()) if n))


def _presiding_body(charter: Charter) -> str | None:
    value = charter.raw.get("chairmanship", {}).get("presides_over")
    return None if value is None else str(value)


@dataclass(frozen=True)
class _Setting:
    charter: Charter
    rules: rules.Rules
    records: dict[int, SessionRecordRow]
    year_records: dict[int, ChairmanshipRow]
    states: dict[str, StateRow]
    takes_part: Callable[[str, dt.date], bool]


def _setting(session: Session, org: str) -> tuple[str, _Setting]:
    org_row = get_organization(session, org)
    charter = charter_for(org_row.code)
    states = _states(session)
    body = _presiding_body(charter)
    stmt = select(SessionRecordRow).where(SessionRecordRow.org == org_row.code,
                                          SessionRecordRow.kind == "regular",
                                          SessionRecordRow.status == "held")
    if body is not None:
        stmt = stmt.where(SessionRecordRow.body == body)
    records = {r.id: r for r in session.execute(stmt).scalars()}
    handovers = [rules.Handover(r.date, r.host, r.chair, r.id) for r in records.values()]
    year_records = {r.year: r for r in session.execute(select(ChairmanshipRow).where(
        ChairmanshipRow.org == org_row.code)).scalars()}
    ms = [_to_model(r) for r in _memberships(session, org=org_row.code)]
    order = sorted({m.state for m in ms}, key=lambda c: getattr(states[c],
                                                                 charter.rotation_order_by))
    declined: dict[int, set[str]] = {}
    for d in session.execute(select(ChairDeclineRow).where(
            ChairDeclineRow.org == org_row.code)).scalars():
        declined.setdefault(d.year, set()).add(d.state)
    rotation = model.RotationRule(
        order=order, reference_day=charter.reference_day,
        recorded={y: model.Chair(y, r.state, "recorded", r.sources)
                  for y, r in year_records.items()},
        declined={y: frozenset(s) for y, s in declined.items()})

    def takes_part(state: str, day: dt.date) -> bool:
        m = model.status_as_of(ms, org_row.code, state, day)
        return m is not None and charter.statuses[m.status].takes_part

    setting = _Setting(charter, rules.Rules(charter.chair_periods, handovers, rotation),
                       records, year_records, states, takes_part)
    return org_row.code, setting


def _words(template: str, **values: object) -> tuple[str, str]:
    """A reason in English and Russian: the template (a msgid) with its values, each value
    given as an (en, ru) pair or a plain value."""
    def fill(lang: str) -> str:
        text = template if lang == "en" else i18n.gettext_for("ru")(template)
        return text.format(**{k: (v[0] if lang == "en" else v[1]) if isinstance(v, tuple)
                              else v for k, v in values.items()})
    return fill("en"), fill("ru")


def _name_pair(named: Named | None) -> tuple[str, str]:
    return ("—", "—") if named is None else (named.name_en, named.name_ru)


def _view(term: rules.Term, s: _Setting) -> ChairView:
    period_data = chair_period_data(s.charter, term.period) if term.period else {}
    p_en, p_ru = ((period_data.get("note") or {}).get("en", ""),
                  (period_data.get("note") or {}).get("ru", ""))
    rule_fact = Fact(list(period_data.get("sources") or []),
                     str(period_data.get("confidence", "medium")), p_en, p_ru)
    session = None
    if term.handover is not None:
        session = _record(s.records[term.handover.key], s.states)
    nxt = term.next_handover.date if term.next_handover else None
    if term.basis == "recorded" and session is not None:
        assert session.chair_fact is not None
        city = (session.city_en or "—", session.city_ru or "—")
        if nxt is not None:
            en, ru = _words("took the chair at the regular session of {date} ({city}) and "
                            "held it to the next regular session, of {next}, which it "
                            "presided", date=session.date.isoformat(), city=city,
                            next=nxt.isoformat())
        else:
            last = term.until - dt.timedelta(days=1) if term.until else None
            en, ru = _words("took the chair at the regular session of {date} ({city}) and "
                            "held it to {last}", date=session.date.isoformat(), city=city,
                            last=last.isoformat() if last else "—")
        fact = session.chair_fact
    elif term.basis == "host" and session is not None:
        en, ru = _words("the host of the regular session of {date} ({city}), who takes the "
                        "chair unless the Council decides otherwise; no source records who "
                        "took it", date=session.date.isoformat(),
                        city=(session.city_en or "—", session.city_ru or "—"))
        fact = Fact(session.fact.sources + rule_fact.sources, "low")
    elif term.basis == "recorded":
        row = s.year_records[term.year or 0]
        en, ru = _words("recorded as the chair of {year}", year=term.year)
        fact = _fact(row)
    elif term.basis == "computed":
        en, ru = _words("by rotation from the recorded chair of {year}",
                        year=term.counted_from)
        fact = Fact(rule_fact.sources, rule_fact.confidence, en, ru)
    else:
        en, ru = _words(_UNKNOWN[term.why])
        fact = Fact([], "low")
    return ChairView(_named(s.states, term.state), term.since, term.until, term.basis,
                     term.period.term if term.period else None, term.year, session, nxt,
                     en, ru, fact, rule_fact)


_UNKNOWN = {
    "no_rule": "unknown: the charter data gives no chairmanship rule for this date",
    "no_session_yet": "unknown: no regular session of this period is recorded before this date",
    "no_host": "unknown: the regular session that opened this term records neither a host "
               "nor who took the chair",
    "no_record": "unknown: no recorded chair of this period to count the rotation from",
    "too_far": "unknown: the chair is not counted beyond 2200",
}


@query()
def chair_on(session: Session, org: str, on: dt.date) -> ChairView:
    """The chair on `on`, with the rule and the record that give it."""
    _, s = _setting(session, org)
    if on > LAST_DAY:
        return _view(rules.Term(None, None, None, "unknown", rules.period_on(on, s.rules.periods),
                                why="too_far"), s)
    return _view(rules.chair_on(on, s.rules, s.takes_part), s)


@query()
def chairs_in_year(session: Session, org: str, year: int) -> list[ChairView]:
    """Every chair that held office on some day of `year`, in order."""
    if not 1900 <= year <= 2200:
        raise InvalidInput("year {year} is out of range", year=year)
    _, s = _setting(session, org)
    return [_view(t, s) for t in rules.chairs_in_year(year, s.rules,
                                                      s.takes_part)]


@query()
def chairs_of_state(session: Session, org: str, state: str, until: dt.date
                    ) -> list[ChairView]:
    """The terms in which `state` held the chair, from the first period to `until`."""
    code = get_state(session, state).code
    _, s = _setting(session, org)
    last = min(until, LAST_DAY)
    starts = [p.start for p in s.rules.periods if p.start > dt.date.min]
    first = min(starts) if starts else dt.date(max(last.year - 30, 1), 1, 1)
    return [_view(t, s) for t in rules.terms_between(first, last, s.rules, s.takes_part)
            if t.state == code]


# The chairs are not counted beyond this day (the rotation walks year by year).
LAST_DAY = dt.date(2200, 12, 31)


@command("registry.decline_chair", action="edit_registry")
def decline_chair(session: Session, c: Clearance, actor: auth.Actor, *, org: str, year: int,
                  state: str, on: dt.date, source_ids: list[str] | None = None
                  ) -> ChairDeclineRow:
    """Record that `state` declines to chair in `year`; the rotation passes to the next state
    (role with edit_registry).

    Only under a calendar-year rule, only the state whose turn it is, and only for a year
    whose chair is computed, not recorded.
    """
    org = auth.org_of(c, org)
    org_row = get_organization(session, org)
    st = get_state(session, state)
    if not 1900 <= year <= 2200:
        raise InvalidInput("year {year} is out of range", year=year)
    current = chair_on(session, org_row.code, dt.date(year, 12, 31))
    if current.rule != rules.CALENDAR_YEAR:
        raise InvalidInput("in {year} the chair is not held for a calendar year, so no turn "
                           "of the year can be declined", year=year)
    if current.basis == "recorded" and current.state is not None:
        raise InvalidInput("the chair of {year} is recorded ({state}); "
                           "a recorded chair cannot be declined", year=year,
                           state=current.state.code)
    if current.state is None:
        raise InvalidInput("no chair can be given for {year}: no recorded chair to count from",
                           year=year)
    if current.state.code != st.code:
        raise InvalidInput("it is {state}'s turn to chair in {year}, not {other}'s",
                           state=current.state.code, year=year, other=st.code)
    row = ChairDeclineRow(org=org_row.code, year=year, state=st.code, recorded_on=on,
                          sources=" ".join(source_ids or []))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="registry.decline_chair",
                   payload={"org": org_row.code, "year": year, "state": st.code, "on": on})
    return row


SESSION_PAGE = 100


@query()
def session_records(session: Session, org: str, *, body: str | None = None,
                    year: int | None = None, limit: int = SESSION_PAGE,
                    cursor: str | None = None) -> tuple[list[SessionRecord], str | None]:
    """The register's sessions of `org`, newest first, a page at a time."""
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000")
    org_row = get_organization(session, org)
    stmt = select(SessionRecordRow).where(SessionRecordRow.org == org_row.code)
    if body is not None:
        stmt = stmt.where(SessionRecordRow.body == body.upper())
    if year is not None:
        stmt = stmt.where(SessionRecordRow.date >= dt.date(year, 1, 1),
                          SessionRecordRow.date < dt.date(year + 1, 1, 1))
    after = None if cursor is None else paging.after_dated("session_records", cursor)
    stmt = paging.newest_first(stmt, SessionRecordRow.date, SessionRecordRow.id,
                               limit=limit + 1, after=after)
    rows = list(session.execute(stmt).scalars())
    states = _states(session)
    return ([_record(r, states) for r in rows[:limit]],
            paging.page_of(rows, limit, "session_records"))
