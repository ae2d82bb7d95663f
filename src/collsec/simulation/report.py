"""The check against January 2022 as docs/simulation.md shows it: the model's band of
personnel in theatre over the first week with the replay's recorded figures (an SVG chart
drawn with `web.charts`), and the table of each figure against the band.

    python -m collsec.simulation.report   # writes docs/simulation-2022.svg, prints the table
"""

from __future__ import annotations

import sys
from pathlib import Path

from collsec.core import settings
from collsec.simulation import model, service
from collsec.web import charts

RUNS, SEED = 20_000, 2022


def chart(org: str) -> str:
    """p10, p50 and p90 of personnel in theatre each hour of the first week, and the
    replay's recorded figures at their hours."""
    params = service.parameters(org)
    lon, lat = (float(x) for x in service._raw(org)["validation"]["place"])
    result = model.simulate(params, (lon, lat), RUNS, SEED)
    band = result.band()
    hours = range(service.WEEK + 1)
    series = [charts.Series(name, tuple((f"{h}", float(band[i][h])) for h in hours))
              for i, name in ((2, "p90"), (1, "p50"), (0, "p10"))]
    checks = service.validation(org, runs=RUNS, seed=SEED)
    recorded = charts.Series("recorded (replay)", tuple(
        (f"{int(c.hour)}", float(c.recorded)) for c in checks))
    return charts.line_chart([*series, recorded], title="Personnel in theatre after the "
                             "request, January 2022: model band and the replay's figures",
                             unit="persons", chart_id="kz-2022", width=720, height=360)


def table(org: str) -> str:
    lines = ["| recorded at (UTC) | hours after the request | recorded in theatre | p10 | "
             "p50 | p90 | inside |", "|---|---|---|---|---|---|---|"]
    for c in service.validation(org, runs=RUNS, seed=SEED):
        lines.append(f"| {c.at:%Y-%m-%d %H:%M} | {c.hour:.0f} | {c.recorded:,} | "
                     f"{c.p10:,.0f} | {c.p50:,.0f} | {c.p90:,.0f} | "
                     f"{'yes' if c.inside else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    org = settings.load().organization  # the platform's organization (COLLSEC_ORG)
    root = Path(__file__).resolve().parents[3]
    (root / "docs" / "simulation-2022.svg").write_text(chart(org) + "\n", encoding="utf-8")
    sys.stdout.write(table(org) + "\n")


if __name__ == "__main__":
    main()
