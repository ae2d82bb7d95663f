"""JSON API for the caller's own account, its API tokens, and the audit (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from collsec.accounts import answers
from collsec.core import paging
from collsec.core.auth import service as auth
from collsec.core.dates import parse_date
from collsec.core.times import stored
from collsec.web.access import Guard, Requires
from collsec.web.body import Body
from collsec.web.params import date_field, date_query, following

router = APIRouter(prefix="/api/v1", tags=["accounts"])
SIGNED_IN = Depends(Requires("read"))


@router.get("/me", response_model=answers.Me)
def me(guard: Guard = SIGNED_IN) -> dict[str, Any]:
    """Who the caller is, for whom, and what it may read and do today."""
    c = guard.clearance
    return {"username": guard.actor.username, "principal": c.principal,
            "roles": sorted(guard.actor.roles), "reads": sorted(c.levels),
            "actions": sorted(c.actions), "as_of": guard.today.isoformat(), "why": c.reason}


def _token(t: Any) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "prefix": t.prefix,
            "created_at": stored(t.created_at).isoformat(),
            "expires_at": stored(t.expires_at).isoformat() if t.expires_at else None,
            "revoked": t.revoked_at is not None}


@router.get("/me/tokens", response_model=answers.Tokens)
def my_tokens(guard: Guard = SIGNED_IN) -> dict[str, Any]:
    return {"tokens": [_token(t) for t in auth.list_tokens.run(guard.ctx, guard.actor.name)]}


class TokenIn(Body):
    name: str = Field(max_length=100)
    # ISO date; the token stops working at its start
    expires: str | None = date_field(None, "ISO date; the token stops working at its start")


@router.post("/me/tokens", status_code=201, response_model=answers.NewToken)
def create_my_token(body: TokenIn, guard: Guard = SIGNED_IN) -> dict[str, Any]:
    """A new token with the caller's own permissions; its text is shown only in this answer."""
    day = parse_date(body.expires, field="expires")
    expires = dt.datetime.combine(day, dt.time(), dt.UTC) if day else None
    row, token = auth.create_token.run(guard.ctx, username=guard.actor.name, name=body.name,
                                       expires=expires)
    return {**_token(row), "token": token}


@router.delete("/me/tokens/{token_id}", response_model=answers.Token)
def revoke_my_token(token_id: int = Path(ge=1, le=2**31 - 1),
                    guard: Guard = SIGNED_IN) -> dict[str, Any]:
    owner = auth.get_user.run(guard.ctx, guard.actor.name)  # revoke_token reads its id only
    return _token(auth.revoke_token.run(guard.ctx, token_id=token_id, owner=owner))


@router.get("/audit", response_model=answers.Audit)
def audit(request: Request, guard: Guard = Depends(Requires("read_audit")),
          object: str | None = Query(None, description="TYPE or TYPE:ID, e.g. document:3"),
          since: str | None = date_query(),
          user: str | None = None, kind: str | None = None,
          limit: int = Query(200, ge=1, le=5000, description="entries in this page"),
          cursor: str | None = Query(None, min_length=1, max_length=100,
                                     description="the `next_cursor` of the page before")
          ) -> dict[str, Any]:
    """Reads of non-public objects and sign-in events, newest first, a page at a time
    (role `admin`): `next` is the link to the following page, null on the last."""
    obj_type, _, obj_id = (object or "").partition(":")
    day = parse_date(since, field="since")
    start = dt.datetime.combine(day, dt.time(), dt.UTC) if day else None
    rows = auth.audit_entries.run(guard.ctx, object_type=obj_type or None,
                                  object_id=obj_id or None, since=start, username=user,
                                  kind=kind, limit=limit + 1,
                                  before=paging.below("audit", cursor) if cursor else None)
    last = paging.cursor("audit", rows[limit - 1].id) if len(rows) > limit else None
    return {"entries": [{"id": r.id, "at": stored(r.at).isoformat(), "kind": r.kind,
                         "username": r.username, "principal": r.principal,
                         "object_type": r.object_type, "object_id": r.object_id,
                         "via": r.via, "detail": r.detail} for r in rows[:limit]],
            **following(request, last)}
