"""Bar and line charts rendered on the server as SVG text, so pages show charts without JavaScript.

The output obeys the site's Content-Security-Policy: no inline styles and no scripts, only
presentation attributes and CSS classes (`chart-bar`, `chart-line`, `series-0`, ...) that a
stylesheet may override. Every mark carries a `<title>` for hover tooltips and `data-*`
attributes for a script that may make the chart interactive later; the whole chart has a
`<title>` and a `<desc>` in words for screen readers.

Numbers are written with at most two decimals, no trailing zeros, and thousands grouped by a
narrow no-break space (U+202F), e.g. "1 250" or "2.5"; the same format is used on the axis,
in tooltips and in the description.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Okabe–Ito colours: told apart by people with the common kinds of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
_STEPS = (1.0, 2.0, 2.5, 5.0)
_MAX_STEPS = 6
_MAX_LABELS = 12  # more category labels than this overlap at the default width
_CHAR_WIDTH = 7.0  # rough width of a 12px character, enough to place labels
_GROUP = "\u202f"
# Control characters are not allowed in XML at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_Tables = list[dict[str, float]]  # per series, its values by category


@dataclass(frozen=True)
class Series:
    """One named row of data: (category label, value) pairs in display order."""

    name: str
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Plot:
    """The inner rectangle the data is drawn in, and the value at its top edge."""

    left: float
    top: float
    right: float
    bottom: float
    categories: tuple[str, ...]
    peak: float

    def band(self) -> float:  # the width each category gets
        return (self.right - self.left) / len(self.categories)

    def centre(self, index: int) -> float:
        return self.left + (index + 0.5) * self.band()

    def y(self, value: float) -> float:  # SVG's y grows downwards
        return self.bottom - value / self.peak * (self.bottom - self.top)


def nice_scale(peak: float) -> tuple[float, int]:
    """The axis step and the number of steps from zero to cover values up to `peak`.

    The step is the smallest 1, 2, 2.5 or 5 × 10^k that needs at most six steps; since the
    next step up is at most twice as large, at least four are always needed.
    """
    peak = peak if peak > 0 else 1.0  # all-zero data still gets a readable axis
    exponent = math.floor(math.log10(peak)) - 1
    candidates = (b * 10.0**p for p in range(exponent - 1, exponent + 3) for b in _STEPS)
    # The tolerance keeps float noise (1.1 / 0.1 = 11.000000000000002) from adding a step.
    step = next(s for s in candidates if peak / s - 1e-9 <= _MAX_STEPS)
    return step, math.ceil(peak / step - 1e-9)


def format_number(value: float, decimals: int = 2) -> str:
    """`value` with up to `decimals` decimals, no trailing zeros and grouped thousands."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace(",", _GROUP)


def _n(value: float) -> str:
    """A coordinate or raw value for an attribute: two decimals keep the SVG small."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(value: str) -> str:  # element content
    return escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:  # a whole attribute value, quotes included
    return quoteattr(_NOT_XML.sub("", value))


def _tables(series: Sequence[Series]) -> _Tables:
    """Each series' values by category, refusing values an axis from zero cannot show."""
    tables: list[dict[str, float]] = []
    for s in series:
        table: dict[str, float] = {}
        for category, value in s.points:
            if not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"chart values must be finite and not negative: series {s.name!r}, "
                    f"category {category!r} has {value!r}"
                )
            if category in table:
                raise ValueError(f"series {s.name!r} has category {category!r} twice")
            table[category] = value
        tables.append(table)
    return tables


def _svg(width: int, height: int, chart_id: str, title: str, desc: str, body: list[str]) -> str:
    ids = f"{chart_id}-title {chart_id}-desc"
    # No width/height attributes: the chart takes its container's width and keeps its shape.
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby={_attr(ids)} class="chart" font-family="sans-serif" font-size="12">'
    )
    title_el = f"<title id={_attr(chart_id + '-title')}>{_text(title)}</title>"
    desc_el = f"<desc id={_attr(chart_id + '-desc')}>{_text(desc)}</desc>"
    return "\n".join([head, title_el, desc_el, *body, "</svg>"])


def _describe(series: Sequence[Series], tables: _Tables, unit: str) -> str:
    suffix = f" ({unit})" if unit else ""
    parts = []
    for s, table in zip(series, tables, strict=True):
        values = ", ".join(f"{c} {format_number(v)}" for c, v in table.items())
        parts.append(f"{s.name}{suffix}: {values}")
    return "; ".join(parts)


def _mark(kind: str, index: int, name: str, category: str, value: float) -> str:
    """The attributes shared by bars and points: classes, colour and the data-* triple."""
    return (
        f'class="{kind} series-{index}" fill="{PALETTE[index % len(PALETTE)]}" '
        f"data-series={_attr(name)} data-category={_attr(category)} data-value=\"{_n(value)}\""
    )


def _tooltip(name: str, category: str, value: float, unit: str) -> str:
    text = f"{name} — {category}: {format_number(value)}" + (f" {unit}" if unit else "")
    return f"<title>{_text(text)}</title>"


def _bars(plot: _Plot, series: Sequence[Series], tables: _Tables, unit: str) -> list[str]:
    band = plot.band()
    width = band * 0.8 / len(series)  # a tenth of the band on each side parts the groups
    out = []
    for i, (s, table) in enumerate(zip(series, tables, strict=True)):
        for c, category in enumerate(plot.categories):
            if category not in table:
                continue
            value = table[category]
            x, y = plot.left + (c + 0.1) * band + i * width, plot.y(value)
            out.append(
                f'<rect {_mark("chart-bar", i, s.name, category, value)} x="{_n(x)}" '
                f'y="{_n(y)}" width="{_n(width)}" height="{_n(plot.bottom - y)}">'
                f"{_tooltip(s.name, category, value, unit)}</rect>"
            )
    return out


def _lines(plot: _Plot, series: Sequence[Series], tables: _Tables, unit: str) -> list[str]:
    out = []
    for i, (s, table) in enumerate(zip(series, tables, strict=True)):
        # Points follow the category axis, so a missing category is simply skipped over.
        present = [(c, cat) for c, cat in enumerate(plot.categories) if cat in table]
        if not present:
            continue
        coords = " ".join(f"{_n(plot.centre(c))},{_n(plot.y(table[cat]))}" for c, cat in present)
        out.append(
            f'<polyline class="chart-line series-{i}" points="{coords}" fill="none" '
            f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2"/>'
        )
        for c, cat in present:
            out.append(
                f'<circle {_mark("chart-point", i, s.name, cat, table[cat])} '
                f'cx="{_n(plot.centre(c))}" cy="{_n(plot.y(table[cat]))}" r="3.5">'
                f"{_tooltip(s.name, cat, table[cat], unit)}</circle>"
            )
    return out


def _axes(plot: _Plot, step: float, ticks: list[str], unit: str) -> list[str]:
    out = []
    for k, label in enumerate(ticks):
        y = _n(plot.y(k * step))
        if k:
            out.append(
                f'<line class="chart-grid" x1="{_n(plot.left)}" y1="{y}" x2="{_n(plot.right)}" '
                f'y2="{y}" stroke="#d9d9d9" stroke-width="1"/>'
            )
        out.append(
            f'<text class="chart-label" x="{_n(plot.left - 6)}" y="{y}" dy="0.35em" '
            f'text-anchor="end" fill="#333">{label}</text>'
        )
    base, left = _n(plot.bottom), _n(plot.left)
    out.append(f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{_n(plot.right)}" '
               f'y2="{base}" stroke="#666" stroke-width="1"/>')
    out.append(f'<line class="chart-axis" x1="{left}" y1="{_n(plot.top)}" x2="{left}" '
               f'y2="{base}" stroke="#666" stroke-width="1"/>')
    if unit:
        out.append(f'<text class="chart-label chart-unit" x="4" y="14" fill="#333">'
                   f"{_text(unit)}</text>")
    every = math.ceil(len(plot.categories) / _MAX_LABELS)  # thin out labels that would overlap
    for c, category in enumerate(plot.categories):
        if c % every == 0:
            out.append(
                f'<text class="chart-label" x="{_n(plot.centre(c))}" y="{_n(plot.bottom + 16)}" '
                f'text-anchor="middle" fill="#333">{_text(category)}</text>'
            )
    return out


def _legend(series: Sequence[Series], y: float) -> list[str]:
    out, x = ['<g class="chart-legend">'], 12.0
    for i, s in enumerate(series):
        out.append(f'<rect class="chart-legend-swatch series-{i}" x="{_n(x)}" y="{_n(y - 10)}" '
                   f'width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text class="chart-label" x="{_n(x + 14)}" y="{_n(y)}" fill="#333">'
                   f"{_text(s.name)}</text>")
        x += 14 + len(s.name) * _CHAR_WIDTH + 16
    return [*out, "</g>"]


_Draw = Callable[[_Plot, Sequence[Series], _Tables, str], list[str]]


def _chart(series: Sequence[Series], draw: _Draw, title: str, unit: str, width: int,
           height: int, chart_id: str, empty: str) -> str:
    tables = _tables(series)
    categories = tuple(dict.fromkeys(c for table in tables for c in table))
    if not categories:
        note = (f'<text class="chart-label chart-empty" x="{_n(width / 2)}" '
                f'y="{_n(height / 2)}" text-anchor="middle" fill="#333">{_text(empty)}</text>')
        return _svg(width, height, chart_id, title, empty, [note])
    step, count = nice_scale(max(v for table in tables for v in table.values()))
    ticks = [format_number(k * step, max(0, 1 - math.floor(math.log10(step))))
             for k in range(count + 1)]
    legend = len(series) > 1
    # The left margin grows with the longest tick label so it is never cut off.
    left = 12 + _CHAR_WIDTH * max(len(t) for t in ticks)
    bottom = height - 28 - (22 if legend else 0)
    plot = _Plot(left, 24, width - 12, bottom, categories, step * count)
    body = _axes(plot, step, ticks, unit) + draw(plot, series, tables, unit)
    if legend:
        body += _legend(series, height - 10)
    return _svg(width, height, chart_id, title, _describe(series, tables, unit), body)


def bar_chart(series: Sequence[Series], *, title: str, unit: str, width: int = 640,
              height: int = 320, chart_id: str = "chart", empty: str = "No data") -> str:
    """An SVG bar chart, bars grouped per category when there are several series."""
    return _chart(series, _bars, title, unit, width, height, chart_id, empty)


def line_chart(series: Sequence[Series], *, title: str, unit: str, width: int = 640,
               height: int = 320, chart_id: str = "chart", empty: str = "No data") -> str:
    """An SVG line chart: a polyline per series with a circle at each point."""
    return _chart(series, _lines, title, unit, width, height, chart_id, empty)
