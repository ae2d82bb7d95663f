"""What a session and an agenda item say, the same on the API, the pages and the command
line: an item's outcome (live from the positions while open, frozen once closed), the
explanation of its rule, and the session with its delegations and agenda.

Queries: an interface runs them in its read unit (`read(item_dict, item)`) or with
`run(ctx, ...)`; one calls another with its session.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from collsec.core.commands import query
from collsec.core.times import stored
from collsec.decisions import model, service, sessions
from collsec.decisions.service import Evaluation
from collsec.decisions.tables import AgendaItemRow, SessionRow
from collsec.registry import service as registry

POSITION_ORDER = (*model.POSITIONS, "absent")


@query()
def item_outcome(session: Session, item: AgendaItemRow) -> Evaluation:
    """The item's outcome: live from the positions while open, as frozen once closed."""
    if item.status == "open" or not item.outcome:
        return sessions.evaluate_item(session, item)
    sess = sessions.get_session(session, item.session_id)
    frozen = json.loads(item.outcome)
    rule = model.rule_for(service.decision_rules(sess.org), sess.body, item.matter)
    params = {k: tuple(v) if isinstance(v, list) else v
              for k, v in frozen.get("params", {}).items()}
    outcome = model.Outcome(bool(frozen["adopted"]), str(frozen["reason"]), params,
                            {k: tuple(v) for k, v in frozen.get("tally", {}).items()},
                            tuple(frozen.get("bound", ())))
    return Evaluation(rule, tuple(frozen.get("seated", ())), outcome)


@query()
def outcome_dict(session: Session, ev: Evaluation, lang: str, org: str, *, final: bool
                 ) -> dict[str, Any]:
    o = ev.outcome
    return {"adopted": o.adopted, "reason": o.reason,
            "explanation": service.explain(session, ev, lang, org), "final": final,
            "rule": ev.rule.rule, "seated": list(ev.seated), "bound": list(o.bound),
            "limited_format": service.limited_format(o),
            "tally": {p: list(o.tally.get(p, ())) for p in POSITION_ORDER}}


@query()
def item_dict(session: Session, item: AgendaItemRow, lang: str, org: str) -> dict[str, Any]:
    ev = item_outcome(session, item)
    return {
        "id": item.id, "session_id": item.session_id, "number": item.number,
        "title": {"en": item.title_en, "ru": item.title_ru},
        "draft_kind": item.draft_kind, "matter": item.matter,
        "subject_state": item.subject_state, "status": item.status,
        "closed_at": stored(item.closed_at).isoformat() if item.closed_at else None,
        "document_id": item.document_id,
        "outcome": outcome_dict(session, ev, lang, org, final=item.status != "open"),
        "positions": [{"state": p.state, "position": p.position,
                       "reservation": p.reservation,
                       "recorded_at": stored(p.recorded_at).isoformat(),
                       "by_proxy": p.by_proxy, "instruction": p.instruction}
                      for p in sessions.positions(session, item.id)],
    }


@query()
def item_view(session: Session, item_id: int, lang: str) -> dict[str, Any]:
    """An agenda item by its id, as `item_dict` shows it in its session's organization."""
    item = sessions.get_item(session, item_id)
    return item_dict(session, item, lang, sessions.get_session(session, item.session_id).org)


@query()
def session_summary(session: Session, row: SessionRow,
                    bodies: dict[str, Any] | None = None) -> dict[str, Any]:
    """A session as a list shows it; `bodies` remembers the bodies looked up already (a
    page of sessions names a handful of bodies, not one each)."""
    body = (bodies or {}).get(row.body) or registry.body(session, row.org, row.body)
    if bodies is not None:
        bodies[row.body] = body
    return {
        "id": row.id, "organization": row.org,
        "body": {"code": body.code, "name_en": body.name_en, "name_ru": body.name_ru},
        "kind": row.kind, "format": row.format, "date": row.date.isoformat(),
        "host_state": row.host_state, "city": {"en": row.city_en, "ru": row.city_ru},
        "chair_state": row.chair_state, "status": row.status,
        "requested_by": row.requested_by.split(), "sources": row.sources.split(),
    }


@query()
def session_dict(session: Session, row: SessionRow, lang: str) -> dict[str, Any]:
    """A session with its delegations and its agenda, each item with its outcome."""
    items = [item_dict(session, i, lang, row.org) for i in sessions.items(session, row.id)]
    named = {p["state"] for i in items for p in i["positions"]}
    named |= {c for i in items for c in i["outcome"]["seated"]}
    participants = sessions.participants(session, row.id)
    named |= {p.state for p in participants}
    named |= {c for c in (row.chair_state, row.host_state) if c}
    states = {st.code: st for st in registry.list_states(session)}
    return {
        **session_summary(session, row),
        "participants": [{"state": p.state, "represented_by": p.represented_by}
                         for p in participants],
        "items": items,
        "state_names": {c: {"en": states[c].name_en, "ru": states[c].name_ru}
                        for c in sorted(named) if c in states},
        "lang": lang,
    }


@query()
def session_view(session: Session, session_id: int, lang: str) -> dict[str, Any]:
    """A session by its id, as `session_dict` shows it."""
    return session_dict(session, sessions.get_session(session, session_id), lang)
