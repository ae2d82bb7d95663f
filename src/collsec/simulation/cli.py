"""`collsec simulate`: how long until N personnel of the collective forces are in place at
a place, as a Monte Carlo run of the deployment model, with a progress bar on a terminal.
`collsec.cli` imports this module at its end."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from collsec.cli import JSON, LANG, ORG, _emit_json, app, cells, handles_errors, out, table
from collsec.core import i18n, settings
from collsec.core.errors import InvalidInput
from collsec.simulation import service, sweep


@app.command("simulate")
@handles_errors
def simulate(place: list[str] = typer.Option([], "--place", help="LON,LAT of the crisis "
                                             "place, e.g. 76.93,43.35 (Almaty); several "
                                             "make a sweep, one run per place"),
             need: int | None = typer.Option(None, "--need",
                                             help="personnel needed in place"),
             cases: Path | None = typer.Option(None, "--cases", help="a sweep file (YAML or "
                                               "JSON): places and parameter sets, one run "
                                               "each; see docs/simulation.md"),
             runs: int = typer.Option(10_000, "--runs", help="Monte Carlo runs"),
             seed: int = typer.Option(1, "--seed", help="the same seed repeats a run exactly"),
             composition: str = typer.Option(service.DEFAULT_COMPOSITION, "--composition",
                                             help="the contingents (simulation.yaml)"),
             workers: int | None = typer.Option(None, "--workers", help="processes of a "
                                                "sweep (default: the cores)"),
             progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                                  help="show the bar (default: on a "
                                                       "terminal)"),
             org: str = ORG, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The distribution of the time until NEED personnel are in place (p10, p50, p90),
    overall and per state, in hours from the request for assistance."""
    places = [service.place_of(p, "--place") for p in place]
    config = settings.load()
    code = (org or config.organization).upper()
    _ = i18n.gettext_for(i18n.normalize(lang))
    show = sys.stderr.isatty() if progress is None else progress
    if cases is not None:
        if places:
            raise InvalidInput("give --place or --cases, not both")
        data = _read(cases)
        if need is not None and isinstance(data, dict):  # a default the file may override
            data.setdefault("need", need)
        swept = sweep.cases_from(data)
        _sweep(code, swept, runs, seed, workers, config.cluster, show, as_json, _)
        return
    if not places or need is None:
        raise InvalidInput("give --place and --need, or --cases FILE")
    if len(places) > 1:
        _sweep(code, [sweep.Case(p, need, composition) for p in places], runs, seed, workers,
               config.cluster, show, as_json, _)
        return
    lon, lat = places[0]
    if show:
        with Progress(TextColumn(_("simulating")), BarColumn(), TextColumn("{task.completed:,}"
                      "/{task.total:,}"), TimeElapsedColumn(),
                      console=Console(stderr=True)) as bar:
            task = bar.add_task("runs", total=runs)
            result = service.run(code, place=(lon, lat), need=need, runs=runs, seed=seed,
                                 name=composition, progress=lambda n: bar.advance(task, n))
    else:
        result = service.run(code, place=(lon, lat), need=need, runs=runs, seed=seed,
                             name=composition)
    if as_json:
        _emit_json(result)
        return

    def hours(v: float | None) -> str:
        return "—" if v is None else _("{hours} h ({days} d)").format(hours=f"{v:.0f}",
                                                                       days=f"{v / 24:.1f}")

    t = table(_("Who"), "p10", "p50", "p90")
    tn = result["time_to_need"]
    t.add_row(*cells(_("{need} personnel in place").format(need=need), hours(tn["p10"]),
                     hours(tn["p50"]), hours(tn["p90"])))
    for state, q in result["by_state"].items():
        t.add_row(*cells(_("{state}, whole contingent").format(state=state), hours(q["p10"]),
                         hours(q["p50"]), hours(q["p90"])))
    d = result["decision"]
    t.add_row(*cells(_("collective decision"), hours(d["p10"]), hours(d["p50"]),
                     hours(d["p90"])))
    out.print(t)
    out.print(_("{runs} runs, seed {seed}; {share} of the runs reached the need within "
                "{horizon} h").format(runs=f"{result['runs']:,}", seed=seed,
                                      share=f"{result['reached']:.0%}",
                                      horizon=result["horizon_hours"]))


def _read(path: Path) -> object:
    """A sweep file as data: JSON is YAML, so one reader does both."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput("cannot read {path}: {problem}", path=str(path),
                           problem=exc.strerror or str(exc)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput("{path} is not YAML or JSON: {problem}", path=str(path),
                           problem=str(exc).splitlines()[0][:200]) from None


def _sweep(org: str, cases: list[sweep.Case], runs: int, seed: int, workers: int | None,
           cluster: str, show: bool, as_json: bool, _: Callable[[str], str]) -> None:
    """Several cases at once, each in a process of the pool or on the cluster."""
    if show:
        with Progress(TextColumn(_("simulating")), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=Console(stderr=True)) as bar:
            task = bar.add_task("cases", total=len(cases))
            results = sweep.sweep(org, cases, runs=runs, seed=seed, workers=workers,
                                  cluster=cluster or None,
                                  progress=lambda n: bar.advance(task, n))
    else:
        results = sweep.sweep(org, cases, runs=runs, seed=seed, workers=workers,
                              cluster=cluster or None)
    if as_json:
        _emit_json({"cases": [{"name": c.name, "parameters": dict(c.parameters or {}), **r}
                              for c, r in zip(cases, results, strict=True)]})
        return
    t = table(_("Case"), _("Need"), "p10", "p50", "p90")
    for c, r in zip(cases, results, strict=True):
        q = r["time_to_need"]
        t.add_row(*cells(c.name or f"{r['place'][0]},{r['place'][1]}", str(r["need"]),
                         *("—" if q[k] is None else f"{q[k]:.0f}" for k in ("p10", "p50", "p90"))))
    out.print(t)
