"""The SVG charts: well-formed XML, accessible (title, description, values as text), escaped, empty-safe."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from closerhub.analytics import charts
from closerhub.core.money import Money, format_money

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & Co'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own output, parsed to prove it is well-formed)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def eur(value: float) -> str:
    return format_money(Money(int(value), "EUR"), "en")


def test_a_bar_chart_is_well_formed_titled_and_writes_each_value() -> None:
    root = parse(charts.bar_chart("Appointments per week", ["2 Mar", "9 Mar"], [3, 5], x_label="Week", y_label="Calls"))
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Appointments per week"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "2 Mar: 3; 9 Mar: 5"
    assert {"3", "5", "Week", "Calls", "2 Mar", "9 Mar"} <= set(texts(root))
    heights = [float(r.get("height", 0)) for r in root.iter(f"{SVG}rect")]
    assert heights[1] > heights[0] > 0


def test_labels_and_titles_are_escaped_not_injected() -> None:
    svg = charts.bar_chart(NASTY, [NASTY], [1], value_text=[NASTY], chart_id='x" onload="evil()')
    assert "<script>" not in svg and 'onload="evil()"' not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == NASTY  # type: ignore[union-attr]
    assert NASTY in texts(root)
    assert list(root.iter("script")) == [] and list(root.iter(f"{SVG}script")) == []


@pytest.mark.parametrize(
    "svg",
    [
        charts.bar_chart("Calls", [], [], empty_text="Nothing yet"),
        charts.bar_chart("Calls", ["2 Mar"], [0], empty_text="Nothing yet"),
        charts.hbar_chart("Reasons", [], [], empty_text="Nothing yet"),
        charts.stacked_bar_chart(
            "Earnings", ["2 Mar"], [charts.Series("Paid", [0])], value_format=eur, empty_text="Nothing yet"
        ),
        charts.line_chart(
            "Rates", ["2 Mar"], [charts.Series("Show rate", [None])], value_format=str, empty_text="Nothing yet"
        ),
    ],
)
def test_a_chart_without_data_says_so_and_is_still_well_formed(svg: str) -> None:
    root = parse(svg)
    assert "Nothing yet" in texts(root)
    assert list(root.iter(f"{SVG}rect")) == [] and list(root.iter(f"{SVG}polyline")) == []


def test_stacked_bars_show_each_layer_and_the_total_as_money() -> None:
    series = [
        charts.Series("Paid", [10000, 0]),
        charts.Series("Available", [5000, 0]),
        charts.Series("Pending", [0, 20000]),
    ]
    root = parse(charts.stacked_bar_chart("Earnings (EUR)", ["2 Mar", "9 Mar"], series, value_format=eur))
    assert {"€150.00", "€200.00", "Paid", "Available", "Pending"} <= set(texts(root))
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == (
        "2 Mar: Paid €100.00, Available €50.00, Pending €0.00; 9 Mar: Paid €0.00, Available €0.00, Pending €200.00"
    )
    # three legend swatches plus the three layers that are not zero
    assert len(list(root.iter(f"{SVG}rect"))) == 3 + 3


def test_a_negative_layer_is_not_drawn_but_stays_in_the_description() -> None:
    series = [charts.Series("Available", [-5000]), charts.Series("Pending", [20000])]
    root = parse(charts.stacked_bar_chart("Earnings", ["2 Mar"], series, value_format=eur))
    assert "Available -€50.00" in root.find(f"{SVG}desc").text  # type: ignore[union-attr, operator]
    assert "€200.00" in texts(root)


def test_a_line_chart_breaks_at_weeks_without_data_and_writes_the_rates() -> None:
    def pct(v: float) -> str:
        return f"{v * 100:.1f}%"

    series = [charts.Series("Show rate", [0.5, None, 0.8, 1.0])]
    root = parse(charts.line_chart("Rates", ["a", "b", "c", "d"], series, value_format=pct))
    assert {"50.0%", "80.0%", "100.0%"} <= set(texts(root))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2  # c–d; a stands alone
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert "b —" in root.find(f"{SVG}desc").text  # type: ignore[union-attr, operator]


def test_horizontal_bars_keep_long_category_names_and_values() -> None:
    root = parse(charts.hbar_chart("Top lost reasons", ["Price", "Timing & budget"], [3, 1], value_text=["3", "1"]))
    assert {"Price", "Timing & budget", "3", "1"} <= set(texts(root))
