"""The accounts page of those who manage users (`/admin/users`): every account with its
state, by user name a page at a time, and what `collsec users` does, from the browser:
add, disable, enable, set roles, reset the password, delete.

Every route declares `Requires("manage_users")` (role `admin`): the dependency refuses
anyone else before the view runs. Every post carries the session's CSRF token, and each is
one command: a refused one changes nothing and shows the list again with the reason. A
new or reset one-time password is shown once, on a page no one keeps (no-store).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from collsec.accounts.views import NO_STORE, _error, _show, _status
from collsec.core import i18n, paging
from collsec.core.auth import service as auth
from collsec.core.auth.model import ROLES
from collsec.core.auth.tables import UserRow
from collsec.core.errors import CollsecError
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.params import page_cursor, page_link

router = APIRouter(include_in_schema=False)
MANAGE = Depends(Requires("manage_users"))
ROLES_FIELD = Form([])  # the checked role boxes
USER_PAGE = 100  # accounts on one page of the list; the rest are a link away


def _state(user: UserRow) -> str:
    if user.deleted_at is not None:
        return "deleted"
    if user.disabled:
        return "disabled"
    return "one-time password" if user.must_change_password else "active"


def _page(request: Request, guard: Guard, cursor: str) -> tuple[list[UserRow], str | None]:
    """The accounts of the page after `cursor`, and the link to the next: on the list's
    own path, since a refused form shows the list too."""
    place = page_cursor(cursor)
    after = paging.after_keyed("users", place, 2) if place else None
    rows = auth.list_users.run(guard.ctx, limit=USER_PAGE + 1,
                               after=(str(after[0]), int(after[1])) if after else None)
    last = rows[USER_PAGE - 1] if len(rows) > USER_PAGE else None
    nxt = paging.cursor("users", last.username, last.id) if last else None
    return rows[:USER_PAGE], page_link(request, nxt, path="/admin/users", drop=("done",))


def _list(request: Request, guard: Guard, *, error: str | None = None, status: int = 200,
          done: str | None = None, form: dict[str, Any] | None = None, cursor: str = ""
          ) -> HTMLResponse:
    try:
        users, nxt = _page(request, guard, cursor)
    except CollsecError as exc:
        return _error(request, exc)
    return _show(request, guard, "accounts/users.html", status=status, error=error,
                 done=done, users=[(u, _state(u)) for u in users], next_page=nxt, roles=ROLES,
                 me=guard.actor.name, csrf=guard.csrf or "",
                 form={"username": "", "display_name": "", "principal": "", "roles": [],
                       **(form or {})})


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, guard: Guard = MANAGE, cursor: str = "") -> Response:
    return _list(request, guard, done=request.query_params.get("done"), cursor=cursor)


def _one_time(request: Request, guard: Guard, user: UserRow, secret: str,
              reason: str) -> HTMLResponse:
    return _show(request, guard, "accounts/user_password.html", user=user, secret=secret,
                 reason=reason, headers=NO_STORE)


@router.post("/admin/users")
def add_user(request: Request, guard: Guard = MANAGE, username: str = Form("", max_length=80),
             display_name: str = Form("", max_length=200),
             principal: str = Form("", max_length=60), role: list[str] = ROLES_FIELD,
             csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        user, secret = auth.add_user.run(guard.ctx, username=username, principal=principal,
                                         roles=role, display_name=display_name.strip())
    except CollsecError as exc:
        return _list(request, guard, error=i18n.message(exc, guard.ctx.lang),
                     status=_status(exc), form={
            "username": username, "display_name": display_name, "principal": principal,
            "roles": role})
    return _one_time(request, guard, user, secret, "added")


def _act(request: Request, guard: Guard, csrf_token: str, username: str, done: str,
         command: Any, **terms: Any) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        command.run(guard.ctx, username=username, **terms)
    except CollsecError as exc:
        return _list(request, guard, error=i18n.message(exc, guard.ctx.lang), status=_status(exc))
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


@router.post("/admin/users/{username}/disable")
def disable_user(request: Request, username: str, guard: Guard = MANAGE,
                 csrf_token: str = Form("")) -> Response:
    return _act(request, guard, csrf_token, username, "disabled", auth.disable_user)


@router.post("/admin/users/{username}/enable")
def enable_user(request: Request, username: str, guard: Guard = MANAGE,
                csrf_token: str = Form("")) -> Response:
    return _act(request, guard, csrf_token, username, "enabled", auth.enable_user)


@router.post("/admin/users/{username}/roles")
def set_roles(request: Request, username: str, guard: Guard = MANAGE,
              role: list[str] = ROLES_FIELD, csrf_token: str = Form("")) -> Response:
    return _act(request, guard, csrf_token, username, "roles", auth.set_roles, roles=role)


@router.post("/admin/users/{username}/delete")
def delete_user(request: Request, username: str, guard: Guard = MANAGE,
                confirm: str = Form(""), csrf_token: str = Form("")) -> Response:
    if confirm.strip().lower() != username.lower():
        check_csrf(request, guard, csrf_token)
        return _list(request, guard, status=400,
                     error="to delete an account, type its user name to confirm")
    return _act(request, guard, csrf_token, username, "deleted", auth.delete_user)


@router.post("/admin/users/{username}/reset-password")
def reset_password(request: Request, username: str, guard: Guard = MANAGE,
                   csrf_token: str = Form("")) -> Response:
    check_csrf(request, guard, csrf_token)
    try:
        user, secret = auth.reset_password.run(guard.ctx, username=username)
    except CollsecError as exc:
        return _list(request, guard, error=i18n.message(exc, guard.ctx.lang), status=_status(exc))
    return _one_time(request, guard, user, secret, "reset")
