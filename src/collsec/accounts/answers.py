"""What the accounts' API answers (`accounts.api`), as the OpenAPI document declares it:
the caller's account, its API tokens, and the audit."""

from __future__ import annotations

from pydantic import BaseModel, Field

from collsec.core.auth.model import MARKINGS, ROLES
from collsec.web.shapes import Day, Moment, Page, each_one_of


class Me(BaseModel):
    """Who the caller is, for whom, and what it may read and do today."""

    username: str
    principal: str
    roles: list[str] = each_one_of(ROLES)
    reads: list[str] = each_one_of(MARKINGS)
    actions: list[str]
    as_of: Day
    why: str  # why the caller reads what it reads


class Token(BaseModel):
    id: int
    name: str
    prefix: str  # the token's first characters, to tell it apart
    created_at: Moment
    expires_at: Moment | None
    revoked: bool


class Tokens(BaseModel):
    tokens: list[Token]


class NewToken(Token):
    token: str = Field(description="the token itself: shown in this answer only")


class AuditEntry(BaseModel):
    id: int
    at: Moment
    kind: str  # read, login, login_failed, ...
    username: str | None
    principal: str | None
    object_type: str | None
    object_id: str | None
    via: str  # web, api or cli
    detail: str


class Audit(Page):
    entries: list[AuditEntry]
