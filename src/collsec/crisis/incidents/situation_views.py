"""The situation picture: incidents on an offline map, filtered, listed and kept live.

- `GET /situation` (signed-in readers, `Requires("read")`): the map, the filters and
  the list of the incidents the visitor may read, newest first, a page at a time
  (`cursor`). The list is rendered here from the same query the API answers, so it
  works without JavaScript; `static/situation.js` then draws the map (Leaflet, no tile
  server: Natural Earth's country boundaries from `static/vendor/` are the base layer)
  from `GET /api/v1/incidents/map`, which clusters the view in the database, re-reads
  both when a filter changes or the map moves, and follows `GET /api/v1/incidents/stream`
  (server-sent events).
- `POST /situation/incidents` (`Requires("report_incident")`): the duty officer's
  report form. It carries the session's CSRF token like every form of the app and
  answers a browser with a redirect (303) back to the map, and the page's script,
  which asks for JSON, with the incident or a problem+json refusal.

The map's assets come from the npm registry at install time (`make`), not from the
repository; without them the page says so instead of drawing a broken map.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import pycountry
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from collsec.core import problems
from collsec.core.auth import service as auth
from collsec.core.commands import Reading, reading
from collsec.core.errors import CollsecError, InvalidInput
from collsec.core.times import parse_time
from collsec.crisis.incidents import service
from collsec.registry import service as registry
from collsec.registry import views as registry_views
from collsec.registry.charter import read_yaml
from collsec.web import names
from collsec.web.access import Guard, Requires, check_csrf
from collsec.web.render import Ctx, choose_language, current_path, render

router = APIRouter(include_in_schema=False)
READ = Depends(Requires("read"))
REPORT = Depends(Requires("report_incident"))
RELEASED_TO = Form(None)  # the checked states, when released to named ones only

# What the page loads from static/vendor/ (the Makefile copies exactly these).
ASSETS = ("leaflet.js", "leaflet.css", "topojson-client.min.js", "countries-50m.json")
BOUNDARIES = "/static/vendor/countries-50m.json"
VENDOR: Any = resources.files("collsec.web") / "static" / "vendor"


def missing_assets() -> list[str]:
    """The vendored map files that are not installed (empty when the map can be drawn)."""
    return [name for name in ASSETS if not (VENDOR / name).is_file()]


@dataclass(frozen=True)
class Filters:
    """The page's filters, as the URL carries them (the map's and the list's alike), and
    where the list's page starts."""

    type: str = ""
    min_severity: int | None = None
    since: str = ""
    until: str = ""
    owner: str = ""
    status: str = ""
    cursor: str = ""

    @classmethod
    def parse(cls, params: Any) -> Filters:
        level = (params.get("min_severity") or "").strip()
        if level and (not level.isdigit() or len(level) > 2):
            raise InvalidInput("min_severity '{level}' is not a severity level",
                                   level=level[:20])
        return cls(type=(params.get("type") or "").strip()[:40],
                   min_severity=int(level) if level else None,
                   since=(params.get("since") or "").strip()[:40],
                   until=(params.get("until") or "").strip()[:40],
                   owner=(params.get("owner") or "").strip()[:60],
                   status=(params.get("status") or "").strip()[:20],
                   cursor=(params.get("cursor") or "").strip()[:200])

    def query(self, **more: str) -> str:
        """The filters as a query string (empty ones left out), with `more`."""
        given = {"type": self.type, "min_severity": str(self.min_severity or ""),
                 "since": self.since, "until": self.until, "owner": self.owner,
                 "status": self.status, **more}
        return urlencode({k: v for k, v in given.items() if v})


LIST_PAGE = 100  # incidents in a page of the list; the map shows every one, clustered


def _ctx(request: Request, guard: Guard) -> Ctx:
    lang, from_param = choose_language(request)
    return Ctx(lang, from_param, guard.today, False, current_path(request))


def _labels(org: str, lang: str) -> dict[str, dict[str, str]]:
    """Type, severity and status names in the page's language, from `crisis.yaml`."""
    tax = service.taxonomy(org)
    data = read_yaml(org, "crisis.yaml")
    statuses = {str(s["code"]): str(s["name"][lang]) for s in data.get("incident_statuses", [])}
    return {
        "types": {c: (t.name_ru if lang == "ru" else t.name_en) for c, t in tax.types.items()},
        "severities": {str(lvl): (s.name_ru if lang == "ru" else s.name_en)
                       for lvl, s in sorted(tax.severities.items())},
        "statuses": {c: statuses.get(c, c) for c in tax.incident_transitions},
    }


def _iso_numeric(code: str) -> str | None:
    """ISO 3166-1 numeric code, the id Natural Earth's boundaries (world-atlas) carry."""
    country = pycountry.countries.get(alpha_2=code)
    return str(country.numeric) if country is not None else None


def _members(read: Reading, org: str, day: dt.date, lang: str
             ) -> list[tuple[str, str, str | None]]:
    """(principal, name, numeric code) of each member delegation on `day`."""
    out = []
    for m in read(registry.members, org, day):
        name = m.state.name_ru if lang == "ru" else m.state.name_en
        out.append((f"delegation:{m.state.code}", name, _iso_numeric(m.state.code)))
    return sorted(out, key=lambda item: item[1])


def _page(read: Reading, ctx: Ctx, guard: Guard, filters: Filters) -> dict[str, Any]:
    org = guard.org
    labels = _labels(org, ctx.lang)
    page = read(service.page_incidents, since=parse_time(filters.since, "since"),
                until=parse_time(filters.until, "until", end_of_day=True),
                types=[filters.type] if filters.type else None, state=filters.status or None,
                severity_min=filters.min_severity, owner=filters.owner or None,
                limit=LIST_PAGE,
                after=service.Cursor.parse(filters.cursor) if filters.cursor else None)
    members = _members(read, org, guard.today, ctx.lang)
    principals = {key: name for key, name, _ in members}
    principals.update({key: name for key, name in names.for_page(read, org, ctx.lang)
                       .principals.items() if key.startswith("organ:")})
    own = guard.clearance.principal
    reporter = auth.allows(guard.clearance, "report_incident").allowed
    return {
        "incidents": [service.as_dict(r) for r in page.incidents],
        "next_page": (f"/situation?{filters.query(lang=ctx.lang, cursor=str(page.next))}"
                      if page.next else None),
        "first_page": (f"/situation?{filters.query(lang=ctx.lang)}" if filters.cursor
                       else None),
        "list_page": LIST_PAGE,
        "filters": filters, "labels": labels, "members": members, "principals": principals,
        "member_ids": sorted({n for _, _, n in members if n}),
        "may_report": reporter, "own_principal": own,
        "release_choices": [(k, n) for k, n, _ in members if k != own],
        "csrf": guard.csrf or "", "missing": missing_assets(),
        "boundaries": BOUNDARIES, "now": guard.now.strftime("%Y-%m-%dT%H:%M"),
    }


@router.get("/situation", response_class=HTMLResponse)
def situation(request: Request, guard: Guard = READ) -> HTMLResponse:
    ctx = _ctx(request, guard)
    with reading(guard.ctx) as read:
        data = _page(read, ctx, guard, Filters.parse(request.query_params))
        organization = None
        with suppress(CollsecError):
            organization = read(registry.get_organization, guard.org)
        return render(ctx, "incidents/situation.html", organization=organization,
                      known_sources=set(), reported=request.query_params.get("reported", ""),
                      **registry_views.chrome(read, guard, ctx.lang), **data)


def _occurred(text: str) -> dt.datetime:
    """The form's time: ISO, taken as UTC when it names no zone (the field says UTC)."""
    value = text.strip()[:40]
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("time '{time}' is not an ISO time such as 2025-05-01T10:30",
                           time=value) from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _point(lon: str, lat: str) -> dict[str, Any]:
    try:
        return {"type": "Point", "coordinates": [float(lon[:30]), float(lat[:30])]}
    except ValueError:
        raise InvalidInput("give the place as longitude and latitude in degrees, or click "
                           "the map") from None


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/situation/incidents", response_model=None)
def report(request: Request, guard: Guard = REPORT, csrf_token: str = Form(""),
           type: str = Form(""), severity: str = Form(""), occurred_at: str = Form(""),
           lon: str = Form(""), lat: str = Form(""), title: str = Form(""),
           description: str = Form(""), release: str = Form("members"),
           released_to: list[str] | None = RELEASED_TO) -> Response:
    """The report form: the incident as the duty officer's centre marks it."""
    try:
        check_csrf(request, guard, csrf_token)
        recipients = (released_to or [])[:200] if release == "named" else []
        if release == "named" and not recipients:
            raise InvalidInput("name at least one state to release the incident to, or "
                               "release it to all members")
        level = severity.strip()
        if level and not level.isdigit():
            raise InvalidInput("severity '{level}' is not a level", level=level[:20])
        row = service.report_incident.run(
            guard.ctx, type=type.strip()[:40], severity=int(level[:2]) if level else None,
            occurred_at=_occurred(occurred_at), geometry=_point(lon, lat), title=title,
            description=description, released_to=recipients)
        body = service.as_dict(row, service.released_to.run(guard.ctx, row), [])  # committed
    except CollsecError as exc:
        if _wants_json(request):
            return problems.domain_problem(request, exc, guard.ctx.lang)
        raise
    if _wants_json(request):
        return JSONResponse(body, status_code=201)
    lang = {"lang": request.query_params["lang"]} if "lang" in request.query_params else {}
    return RedirectResponse(f"/situation?{urlencode({'reported': body['id'], **lang})}",
                            status_code=303)
