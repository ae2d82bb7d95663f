"""HTML pages of agreements: the list with each one's status, and one agreement's
ratification status per state, both as of a date (`?as_of=`, default today).

Access declarations: both pages are public (`Requires("read", public=True)`):
agreements, signatures and deposits are public acts of the organization. The pages only
read; recording happens through the API and the command line.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from collsec.core.commands import Reading, reading
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError
from collsec.decisions import agreement_service as service
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.web.access import Guard, Requires
from collsec.web.render import Ctx, choose_language, current_path, render

router = APIRouter(include_in_schema=False)

PUBLIC = Depends(Requires("read", public=True))


def _show(request: Request, guard: Guard, template: str, build: Any) -> HTMLResponse:
    """Parse language and date, run `build(read, ctx)` in one read unit, render."""
    lang, from_param = choose_language(request)
    ctx = Ctx(lang, from_param, guard.today, False, current_path(request))
    try:
        day = parse_date(request.query_params.get("as_of"), field="as_of")
        if day is not None:
            ctx = replace(ctx, as_of=day, pinned=True)
        with reading(guard.ctx) as read:
            data = build(read, ctx)
            organization = None
            with suppress(CollsecError):
                organization = read(registry.get_organization, guard.org)
            known = {src.id for src in read(registry.sources)}
            return render(ctx, template, organization=organization, known_sources=known,
                          **registry_views.chrome(read, guard, ctx.lang), **data)
    except CollsecError as exc:
        return registry_views.error_page(request, exc)


@router.get("/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        rows = read(service.list_agreements)
        return {"statuses": [read(service.status, r.code, ctx.as_of) for r in rows],
                "describe": lambda rule: service.describe_rule(rule, ctx.lang)}

    return _show(request, guard, "decisions/agreements/list.html", build)


@router.get("/agreements/{code}", response_class=HTMLResponse)
def agreement_page(request: Request, code: str, guard: Guard = PUBLIC) -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        st = read(service.status, code, ctx.as_of)
        return {"st": st, "a": st.agreement, "rule_text": service.describe_rule(st.rule, ctx.lang),
                "not_yet": st.agreement.signed_on > ctx.as_of}

    return _show(request, guard, "decisions/agreements/detail.html", build)
