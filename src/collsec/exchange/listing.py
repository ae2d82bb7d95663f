"""The unified list of organizations recognized as terrorist in the member states: its
entries as of any day, one entry with its national designations and its timeline, and a
search by any name (Latin or Cyrillic, another transliteration, a typo).

The list is members' material: read by those who read `members`-level material, every
read audited like any other of it. Whether an organization is on the list on a day
follows the charter data's rule (`exchange.unified_list`, `exchange.unified`) from the
designations, or the list's own recorded step where a source gives one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collsec.core import commands
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Marking
from collsec.core.errors import InvalidInput, NotFound
from collsec.core.text import check
from collsec.exchange import aliases, unified
from collsec.exchange.tables import ListEntryRow, ListNameRow, ListStepRow
from collsec.registry import service as registry

OBJECT = "list_entry"
MEMBERS = Marking("members")
MIN_QUERY = 2
MAX_QUERY = 200
MIN_SCORE = 0.6


def rule(org: str) -> unified.Rule:
    """The organization's rule for the list (`exchange.unified_list` in its charter)."""
    raw = registry.charter_for(org).raw.get("exchange", {}).get("unified_list")
    if not raw:
        raise NotFound("the charter data of {org} has no unified list "
                       "(exchange.unified_list)", org=org)
    return unified.rule_from(raw)


@dataclass(frozen=True)
class EntryView:
    row: ListEntryRow
    names: tuple[str, ...]  # every alias (the English and Russian names aside)
    steps: tuple[ListStepRow, ...]  # oldest first
    standing: unified.Standing
    score: float | None = None  # for a search: how well it matched


class _Read(NamedTuple):  # what the audit names of an entry read
    id: int
    visibility: str


def _member_codes(session: Session, org: str, day: dt.date) -> list[str]:
    return [m.state.code for m in registry.members(session, org, day)]


def _views(session: Session, org: str, rows: list[ListEntryRow], day: dt.date,
           scores: dict[int, float] | None = None) -> list[EntryView]:
    ids = [r.id for r in rows]
    names: dict[int, list[str]] = {i: [] for i in ids}
    for n in session.execute(select(ListNameRow).where(ListNameRow.entry_id.in_(ids))
                             .order_by(ListNameRow.id)).scalars():
        names[n.entry_id].append(n.name)
    steps: dict[int, list[ListStepRow]] = {i: [] for i in ids}
    for s in session.execute(select(ListStepRow).where(ListStepRow.entry_id.in_(ids))
                             .order_by(ListStepRow.date, ListStepRow.id)).scalars():
        steps[s.entry_id].append(s)
    r, members = rule(org), _member_codes(session, org, day)
    out = []
    for row in rows:
        pure = [unified.Step(s.date, s.status, s.state, s.kind) for s in steps[row.id]
                if s.date <= day]
        out.append(EntryView(row, tuple(n for n in names[row.id]
                                        if n not in (row.name_en, row.name_ru)),
                             tuple(steps[row.id]), unified.standing_on(r, pure, members, day),
                             None if scores is None else scores.get(row.id)))
    return out


def _audited(session: Session, c: Clearance, views: list[EntryView], now: dt.datetime,
             detail: str) -> None:
    auth.audit_returned(session, c, OBJECT, [_Read(v.row.id, "members") for v in views],
                        detail, at=now)


@commands.query()
def list_entries(session: Session, c: Clearance, *, on: dt.date, status: str | None = None,
                 codes: Collection[str] | None = None, now: dt.datetime,
                 org: str | None = None) -> list[EntryView]:
    """Every entry with its place on the list on `on` (`status`: only those listed,
    delisted or proposed then; `codes`: only these entries)."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    if status is not None and status not in unified.STATUSES:
        raise InvalidInput("unknown status '{status}'; one of: {known}", status=status,
                           known=", ".join(unified.STATUSES))
    stmt = select(ListEntryRow).where(ListEntryRow.org == org)
    if codes is not None:
        stmt = stmt.where(ListEntryRow.code.in_(sorted(codes)))
    rows = list(session.execute(stmt.order_by(ListEntryRow.name_en)).scalars())
    views = [v for v in _views(session, org, rows, on)
             if status is None or v.standing.status == status]
    _audited(session, c, views, now, "list")
    return views


@commands.query()
def find_entries(session: Session, c: Clearance, text: str, *, on: dt.date,
                 now: dt.datetime, org: str | None = None, limit: int = 20
                 ) -> list[EntryView]:
    """The entries one of whose names `text` matches, best first."""
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    key = aliases.fold(check(text, "name", MAX_QUERY, line=True))
    if len(key.replace(" ", "")) < MIN_QUERY:
        raise InvalidInput("give at least {n} letters or digits to search by", n=MIN_QUERY)
    found: dict[int, float] = {}
    for entry_id, name_key in session.execute(
            select(ListNameRow.entry_id, ListNameRow.key).join(
                ListEntryRow, ListEntryRow.id == ListNameRow.entry_id)
            .where(ListEntryRow.org == org)):
        s = aliases.score(key, name_key)
        if s >= MIN_SCORE and s > found.get(entry_id, 0.0):
            found[entry_id] = s
    ranked = sorted(found, key=lambda i: -found[i])[:limit]
    rows = {r.id: r for r in session.execute(
        select(ListEntryRow).where(ListEntryRow.id.in_(ranked))).scalars()}
    views = _views(session, org, [rows[i] for i in ranked], on, found)
    _audited(session, c, views, now, f"search {text[:60]!r}")
    return views


@commands.query()
def get_entry(session: Session, c: Clearance, code: str, *, on: dt.date, now: dt.datetime,
              org: str | None = None) -> EntryView:
    org = auth.org_of(c, org)
    auth.require(c, "read", MEMBERS)
    row = session.execute(select(ListEntryRow).where(
        ListEntryRow.org == org, ListEntryRow.code == code.strip().lower()[:80])
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("no entry '{code}' on the unified list", code=code[:80])
    (view,) = _views(session, org, [row], on)
    _audited(session, c, [view], now, "entry")
    return view


# -- loading the embedded data ---------------------------------------------------------------

def remove_default(session: Session, orgs: Iterable[str]) -> None:
    """Drop the entries an earlier load of these organizations' data made."""
    ids = list(session.execute(select(ListEntryRow.id).where(
        ListEntryRow.org.in_(list(orgs)), ListEntryRow.origin == "default")).scalars())
    if ids:
        session.execute(delete(ListStepRow).where(ListStepRow.entry_id.in_(ids)))
        session.execute(delete(ListNameRow).where(ListNameRow.entry_id.in_(ids)))
        session.execute(delete(ListEntryRow).where(ListEntryRow.id.in_(ids)))


def load(session: Session, org: str, items: list[dict[str, Any]],
         fact: Any, date: Any, names: Any) -> int:
    """Insert the entries of unified_list.yaml; `fact`, `date` and `names` are the
    loader's own checks of sources and confidence, of dates and of {en, ru} texts."""
    if items:
        rule(org)  # data for a list the charter has no rule for is a broken folder
    seen: set[str] = set()
    for item in items:
        code = str(item.get("code", "")).strip().lower()
        where = f"unified_list.yaml {code or '?'}"
        if not code or code in seen:
            raise InvalidInput("{where}: every entry needs a code of its own", where=where)
        seen.add(code)
        en, ru = names(item)
        row = ListEntryRow(org=org, code=code, name_en=en, name_ru=ru, **fact(item, where))
        session.add(row)
        session.flush()
        for name in dict.fromkeys([en, ru, *(str(a) for a in item.get("aliases") or [])]):
            session.add(ListNameRow(entry_id=row.id, name=name, key=aliases.fold(name)))
        for kind, steps in (("designation", item.get("designations") or []),
                            ("list step", item.get("list_events") or [])):
            for n, step in enumerate(steps):
                session.add(_step(row.id, step, kind, f"{where} {kind} {n + 1}", fact, date,
                                  names))
    return len(items)


def _step(entry_id: int, step: dict[str, Any], kind: str, where: str, fact: Any, date: Any,
          names: Any) -> ListStepRow:
    national = kind == "designation"
    allowed = ("listed", "delisted") if national else unified.STATUSES
    if step.get("status") not in allowed:
        raise InvalidInput("{where}: status '{status}' is not one of {allowed}", where=where,
                           status=step.get("status"), allowed=", ".join(allowed))
    if national and not step.get("state"):
        raise InvalidInput("{where}: a designation names its state", where=where)
    what = step.get("kind", "terrorist")
    if what not in unified.KINDS:
        raise InvalidInput("{where}: kind '{kind}' is not one of {allowed}", where=where,
                           kind=what, allowed=", ".join(unified.KINDS))
    precision = step.get("precision", "day")
    if precision not in ("day", "month", "year"):
        raise InvalidInput("{where}: precision is day, month or year", where=where)
    authority = names(step, "authority") if isinstance(step.get("authority"), dict) else ("", "")
    basis = names(step, "basis") if isinstance(step.get("basis"), dict) else ("", "")
    values = fact(step, where)
    values.pop("origin", None)
    return ListStepRow(entry_id=entry_id, state=step.get("state") if national else None,
                       date=date(step.get("date"), where), precision=precision,
                       status=step["status"], kind=what, authority_en=authority[0],
                       authority_ru=authority[1], basis_en=basis[0], basis_ru=basis[1],
                       **values)


def as_dict(view: EntryView, on: dt.date, *, steps: bool = False) -> dict[str, Any]:
    """An entry as the API and the command line's --json give it."""
    row, st = view.row, view.standing
    out: dict[str, Any] = {
        "code": row.code, "name": {"en": row.name_en, "ru": row.name_ru},
        "aliases": list(view.names), "on": on.isoformat(),
        "standing": {"status": st.status, "basis": st.basis,
                     "since": st.since.isoformat() if st.since else None,
                     "states": list(st.states)},
        "score": None if view.score is None else round(view.score, 2),
        "sources": row.sources.split(), "confidence": row.confidence,
        "note": {"en": row.note_en, "ru": row.note_ru}}
    if steps:
        out["steps"] = [{"state": s.state, "date": s.date.isoformat(), "precision": s.precision,
                         "status": s.status, "kind": s.kind,
                         "authority": {"en": s.authority_en, "ru": s.authority_ru},
                         "basis": {"en": s.basis_en, "ru": s.basis_ru},
                         "sources": s.sources.split(), "confidence": s.confidence}
                        for s in view.steps]
    return out
