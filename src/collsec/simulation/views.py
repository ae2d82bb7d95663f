"""The simulation's page: a form (place, need, runs, seed) and the result as a chart of
personnel in theatre by hour (p10, p50, p90, drawn on the server) with the time until the
need is met overall and per state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from collsec.core import i18n
from collsec.core.commands import Reading
from collsec.simulation import service
from collsec.web import charts
from collsec.web.access import Guard, Requires
from collsec.web.frame import show as _show
from collsec.web.render import Ctx

router = APIRouter(include_in_schema=False)
SIGNED_IN = Depends(Requires("read"))
MAX_PAGE_RUNS = 50_000


def _chart(result: dict[str, Any], ctx: Ctx) -> str:
    _ = i18n.gettext_for(ctx.lang)
    band = result["band"]
    step = max(1, len(band) // 40)
    shown = band[::step]
    series = [charts.Series(name, tuple((str(p["hour"]), float(p[key])) for p in shown))
              for key, name in (("p90", "p90"), ("p50", "p50"), ("p10", "p10"))]
    return charts.line_chart(series, title=_("Personnel in theatre, hours after the request"),
                             unit="чел." if ctx.lang == "ru" else "persons", chart_id="chart-band",
                             empty=_("No result."))


@router.get("/simulation", response_class=HTMLResponse)
def page(request: Request, guard: Guard = SIGNED_IN, place: str = "", need: str = "",
         runs: str = "10000", seed: str = "1") -> HTMLResponse:
    def build(read: Reading, ctx: Ctx) -> dict[str, Any]:
        form = {"place": place[:60] or "76.93,43.35", "need": need[:9], "runs": runs[:7],
                "seed": seed[:10]}
        result = None
        if need.strip():
            count = int(runs) if runs.strip().isdigit() else 0
            wanted = int(need) if need.strip().isdigit() else 0
            result = service.run(guard.org, place=service.place_of(form["place"]), need=wanted,
                                 runs=min(count, MAX_PAGE_RUNS) or 1,
                                 seed=int(seed) if seed.strip().isdigit() else 1)
        return {"form": form, "result": result,
                "chart": _chart(result, ctx) if result else None}
    return _show(request, guard, "simulation/page.html", build)
