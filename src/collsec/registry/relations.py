"""The organization's external relations: dated records of its dealings with other
organizations (observer status, resolutions, memoranda, declarations, protocols, roadmaps,
meetings of officials), each with its sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import paging
from collsec.core.commands import query
from collsec.core.errors import InvalidInput
from collsec.registry import model
from collsec.registry.service import Fact, Named, _fact, get_organization
from collsec.registry.tables import OrganizationRow, RelationRow

# Words for the kinds (English msgids; Russian in messages.po).
KINDS = {
    "observer_status": "observer status",
    "observer_status_proposal": "proposal of observer status",
    "consensus_on_observer_status": "consensus on observer status",
    "resolution": "resolution",
    "memorandum": "memorandum",
    "joint_declaration": "joint declaration",
    "protocol": "protocol",
    "roadmap": "roadmap",
    "meeting": "meeting of officials",
}


@dataclass(frozen=True)
class Relation:
    id: int
    org: str
    partner: Named  # by its abbreviation as code and its names
    partner_abbr_en: str
    partner_abbr_ru: str
    kind: str
    date: dt.date
    title_en: str
    title_ru: str
    fact: Fact

    def title(self, lang: str) -> str:
        return self.title_ru if lang == "ru" else self.title_en

    def partner_abbr(self, lang: str) -> str:
        return self.partner_abbr_ru if lang == "ru" else self.partner_abbr_en

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "organization": self.org,
                "partner": {"code": self.partner.code, "name_en": self.partner.name_en,
                            "name_ru": self.partner.name_ru},
                "kind": self.kind, "date": self.date.isoformat(),
                "title": {"en": self.title_en, "ru": self.title_ru},
                "sources": self.fact.sources, "confidence": self.fact.confidence,
                "note": {"en": self.fact.note_en, "ru": self.fact.note_ru}}


RELATIONS_PAGE = 100


@query()
def relations(session: Session, org: str, *, partner: str | None = None,
              kind: str | None = None, as_of: dt.date | None = None,
              limit: int = RELATIONS_PAGE, cursor: str | None = None
              ) -> tuple[list[Relation], str | None]:
    """`org`'s relations dated on or before `as_of` (all when None), newest first."""
    if kind is not None and kind not in model.RELATION_KINDS:
        raise InvalidInput("kind: '{kind}' is not one of {kinds}", kind=kind,
                           kinds=", ".join(model.RELATION_KINDS))
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000")
    org_code = get_organization(session, org).code
    stmt = select(RelationRow).where(RelationRow.org == org_code)
    if partner is not None:
        stmt = stmt.where(RelationRow.partner == get_organization(session, partner).code)
    if kind is not None:
        stmt = stmt.where(RelationRow.kind == kind)
    if as_of is not None:
        stmt = stmt.where(RelationRow.date <= as_of)
    after = None if cursor is None else paging.after_dated("relations", cursor)
    rows = list(session.execute(paging.newest_first(
        stmt, RelationRow.date, RelationRow.id, limit=limit + 1, after=after)).scalars())
    orgs = {o.code: o for o in session.execute(select(OrganizationRow)).scalars()}
    out = []
    for r in rows[:limit]:
        p = orgs[r.partner]
        out.append(Relation(r.id, r.org, Named(p.code, p.name_en, p.name_ru), p.abbr_en,
                            p.abbr_ru, r.kind, r.date, r.title_en, r.title_ru, _fact(r)))
    return out, paging.page_of(rows, limit, "relations")


@query()
def partners(session: Session, org: str) -> list[Named]:
    """The organizations `org` has relations with, by name."""
    org_code = get_organization(session, org).code
    codes = set(session.execute(select(RelationRow.partner).where(
        RelationRow.org == org_code)).scalars())
    rows = session.execute(select(OrganizationRow).where(OrganizationRow.code.in_(codes))
                           .order_by(OrganizationRow.code)).scalars()
    return [Named(o.code, o.name_en, o.name_ru) for o in rows]
