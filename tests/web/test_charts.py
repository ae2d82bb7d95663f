"""Server-side SVG charts: well-formed, accessible, escaped, free of inline styles and scripts."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from collsec.web.charts import Series, bar_chart, format_number, line_chart, nice_scale

SVG = "{http://www.w3.org/2000/svg}"
Render = Callable[..., str]

A = Series("Incidents", (("2019", 12), ("2020", 15), ("2021", 87)))
B = Series("Exercises", (("2020", 4), ("2022", 9)))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def with_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if cls in e.get("class", "").split()]


def test_bar_chart_is_well_formed_and_labelled() -> None:
    root = parse(bar_chart([A], title="Incidents per year", unit="cases", chart_id="inc"))
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 320"
    assert root.get("aria-labelledby") == "inc-title inc-desc"
    assert root.findtext(SVG + "title") == "Incidents per year"
    assert root.findtext(SVG + "desc") == "Incidents (cases): 2019 12, 2020 15, 2021 87"


def test_one_bar_per_value_with_tooltip_and_data() -> None:
    root = parse(bar_chart([A, B], title="t", unit="cases"))
    bars = with_class(root, "rect", "chart-bar")
    assert len(bars) == len(A.points) + len(B.points)
    first = bars[0]
    assert first.get("data-series") == "Incidents"
    assert first.get("data-category") == "2019"
    assert first.get("data-value") == "12"
    assert first.findtext(SVG + "title") == "Incidents — 2019: 12 cases"
    assert {b.get("class") for b in bars} == {"chart-bar series-0", "chart-bar series-1"}


def test_categories_are_the_union_in_first_seen_order() -> None:
    root = parse(bar_chart([A, B], title="t", unit=""))
    labels = [t.text for t in with_class(root, "text", "chart-label")]
    assert [x for x in labels if x in {"2019", "2020", "2021", "2022"}] == [
        "2019", "2020", "2021", "2022"]


def test_tallest_bar_is_max_over_axis_maximum() -> None:
    root = parse(bar_chart([A], title="t", unit=""))
    bars = with_class(root, "rect", "chart-bar")
    tallest = max(bars, key=lambda b: float(b.get("height", "0")))
    assert tallest.get("data-value") == "87"
    baseline = float(tallest.get("y", "0")) + float(tallest.get("height", "0"))
    top = min(float(g.get("y1", "0")) for g in with_class(root, "line", "chart-grid"))
    step, count = nice_scale(87)
    assert step * count == 100
    assert float(tallest.get("height", "0")) / (baseline - top) == pytest.approx(0.87, abs=0.01)


def test_bar_of_a_nice_maximum_reaches_the_top_grid_line() -> None:
    root = parse(bar_chart([Series("s", (("a", 50), ("b", 100)))], title="t", unit=""))
    top = min(float(g.get("y1", "0")) for g in with_class(root, "line", "chart-grid"))
    assert min(float(b.get("y", "0")) for b in with_class(root, "rect", "chart-bar")) == top


@pytest.mark.parametrize(
    ("peak", "step", "count"),
    [
        (87, 20, 5),
        (1234, 250, 5),
        (100, 20, 5),  # a nice number is its own maximum
        (1, 0.2, 5),
        (7, 2, 4),
        (12, 2, 6),
        (0.3, 0.05, 6),
        (0, 0.2, 5),  # all-zero data still gets an axis up to 1
        (1.1, 0.2, 6),
    ],
)
def test_nice_scale(peak: float, step: float, count: int) -> None:
    assert nice_scale(peak) == (pytest.approx(step), count)


@pytest.mark.parametrize("peak", [0.013, 3, 9.99, 10, 55, 999, 1001, 25_000, 7e6])
def test_nice_scale_has_four_to_six_steps_of_a_nice_size(peak: float) -> None:
    step, count = nice_scale(peak)
    assert 4 <= count <= 6
    assert step * count >= peak > step * (count - 1)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in {1, 2, 2.5, 5}


def test_all_zero_data_draws_an_axis() -> None:
    root = parse(bar_chart([Series("s", (("a", 0), ("b", 0)))], title="t", unit=""))
    assert len(with_class(root, "rect", "chart-bar")) == 2
    assert len(with_class(root, "line", "chart-grid")) == 5


def test_tick_labels_are_compact() -> None:
    root = parse(bar_chart([Series("s", (("a", 1234),))], title="t", unit=""))
    labels = [t.text for t in with_class(root, "text", "chart-label")]
    assert labels[:6] == ["0", "250", "500", "750", "1\u202f000", "1\u202f250"]


def test_format_number() -> None:
    assert format_number(12.0) == "12"
    assert format_number(2.5) == "2.5"
    assert format_number(1234567.891) == "1\u202f234\u202f567.89"
    assert format_number(0.125, 3) == "0.125"


def test_text_is_escaped() -> None:
    nasty = Series("R&D <b>", (("<script>alert(1)</script>", 3), ('"q" & a', 4)))
    svg = bar_chart([nasty, A], title="<script>x</script> & co", unit="<u>")
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "R&amp;D &lt;b&gt;" in svg
    root = parse(svg)
    assert root.findtext(SVG + "title") == "<script>x</script> & co"
    bar = with_class(root, "rect", "chart-bar")[0]
    assert bar.get("data-category") == "<script>alert(1)</script>"
    assert bar.findtext(SVG + "title") == "R&D <b> — <script>alert(1)</script>: 3 <u>"
    assert with_class(root, "rect", "chart-bar")[1].get("data-category") == '"q" & a'


def test_control_characters_do_not_break_the_xml() -> None:
    parse(bar_chart([Series("a\x00b", (("c\x1b", 1),))], title="t\x07", unit=""))


@pytest.mark.parametrize("render", [bar_chart, line_chart])
def test_legend_only_with_several_series(render: Render) -> None:
    assert not with_class(parse(render([A], title="t", unit="")), "g", "chart-legend")
    legend = with_class(parse(render([A, B], title="t", unit="")), "g", "chart-legend")
    assert len(legend) == 1
    assert [t.text for t in legend[0].iter(SVG + "text")] == ["Incidents", "Exercises"]


def test_line_chart_has_a_polyline_per_series_and_a_circle_per_point() -> None:
    root = parse(line_chart([A, B], title="t", unit="cases"))
    lines = with_class(root, "polyline", "chart-line")
    assert len(lines) == 2
    assert [len(p.get("points", "").split()) for p in lines] == [3, 2]
    points = with_class(root, "circle", "chart-point")
    assert len(points) == 5
    last = points[-1]
    assert (last.get("data-series"), last.get("data-category"), last.get("data-value")) == (
        "Exercises", "2022", "9")
    assert last.findtext(SVG + "title") == "Exercises — 2022: 9 cases"


@pytest.mark.parametrize("render", [bar_chart, line_chart])
@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_negative_or_non_finite_values_raise(render: Render, bad: float) -> None:
    with pytest.raises(ValueError, match="finite and not negative"):
        render([Series("s", (("a", 1), ("b", bad)))], title="t", unit="")


def test_duplicate_category_in_a_series_raises() -> None:
    with pytest.raises(ValueError, match="twice"):
        bar_chart([Series("s", (("a", 1), ("a", 2)))], title="t", unit="")


@pytest.mark.parametrize("render", [bar_chart, line_chart])
@pytest.mark.parametrize("series", [[], [Series("s", ())], [Series("s", ()), Series("t", ())]])
def test_empty_input_says_so(render: Render, series: list[Series]) -> None:
    root = parse(render(series, title="Incidents", unit="", empty="Нет данных"))
    assert root.findtext(SVG + "title") == "Incidents"
    assert [t.text for t in with_class(root, "text", "chart-empty")] == ["Нет данных"]
    assert root.get("role") == "img"


def test_many_categories_thin_out_the_labels_but_keep_every_bar() -> None:
    points = tuple((f"c{i}", float(i)) for i in range(30))
    root = parse(bar_chart([Series("s", points)], title="t", unit=""))
    labels = {t.text for t in with_class(root, "text", "chart-label")}
    assert {"c0", "c3", "c27"} <= labels
    assert not {"c1", "c2", "c29"} & labels
    bars = with_class(root, "rect", "chart-bar")
    assert len(bars) == 30
    assert all(b.find(SVG + "title") is not None for b in bars)


@pytest.mark.parametrize("render", [bar_chart, line_chart])
def test_no_inline_style_or_script(render: Render) -> None:
    for svg in (render([A, B], title="t", unit="u"), render([], title="t", unit="u")):
        root = parse(svg)
        assert all(e.get("style") is None for e in root.iter())
        tags = {e.tag for e in root.iter()}
        assert SVG + "style" not in tags and SVG + "script" not in tags
        assert "style" not in svg and "<script" not in svg


@pytest.mark.parametrize("render", [bar_chart, line_chart])
def test_output_is_deterministic(render: Render) -> None:
    first = render([A, B], title="t", unit="u")
    assert render([A, B], title="t", unit="u") == first
    assert render([Series(A.name, A.points), B], title="t", unit="u") == first


def test_numbers_are_rounded_to_two_decimals() -> None:
    svg = line_chart([Series("s", (("a", 1 / 3), ("b", 2 / 3), ("c", 1.0)))], title="t",
                     unit="", width=641, height=333)
    root = parse(svg)
    for e in root.iter():
        for name in ("x", "y", "cx", "cy", "width", "height", "data-value"):
            value = e.get(name)
            if value is not None:
                assert len(value.partition(".")[2]) <= 2, (name, value)
