"""No chart text is clipped: every title, axis title, label and legend entry lies inside the viewBox,
with long (French, user-given) labels, at the default (desktop) width and at a phone width."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from closerhub.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
EM = 0.62  # the same generous average glyph width the layout assumes; ascent and descent below
LONG_TITLE = "Gains à la fin de chaque semaine, y compris les montants en attente de confirmation (EUR)"
LONG_Y = "Nombre de rendez-vous honorés ou non, annulations exclues, par semaine de calendrier"
LONG_X = "Semaine commençant le lundi (America/Argentina/ComodRivadavia, heure du lecteur)"
WEEKS = [f"{d} déc. 2026 – semaine {d}" for d in range(1, 13)]
REASONS = ["Le prospect n’avait pas le budget nécessaire pour cette offre cette année", "Prix", "Timing"]


def boxes(svg: str) -> tuple[tuple[float, float], list[tuple[str, float, float, float, float]]]:
    """The viewBox size and each text's estimated box ``(text, x0, y0, x1, y1)``, rotation included."""
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    _, _, vw, vh = (float(v) for v in root.get("viewBox", "").split())
    out = []
    for node in root.iter(f"{SVG}text"):
        text = node.text or ""
        size = float(node.get("font-size", root.get("font-size", "11")))
        w = len(text) * size * EM
        x, y = float(node.get("x", 0)), float(node.get("y", 0))
        anchor = node.get("text-anchor", "start")
        x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        box = (x0, y - 0.8 * size, x0 + w, y + 0.25 * size)
        if re.match(r"rotate\(-90 ", node.get("transform", "")):  # about (x, y): along y, rising to the left
            half = w / 2 if anchor == "middle" else 0
            box = (x - 0.8 * size, y - half, x + 0.25 * size, y + half)
        out.append((text, *box))
    return (vw, vh), out


def assert_inside(svg: str) -> None:
    (vw, vh), texts = boxes(svg)
    for text, x0, y0, x1, y1 in texts:
        assert x0 >= 0 and y0 >= 0 and x1 <= vw and y1 <= vh, f"{text!r} at {(x0, y0, x1, y1)} outside {vw}×{vh}"


WIDTHS = [640, 360]  # desktop, phone


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bar_charts_long_title_and_axis_titles_stay_inside_the_viewbox(width: int) -> None:
    svg = charts.bar_chart(LONG_TITLE, WEEKS, list(range(1, 13)), x_label=LONG_X, y_label=LONG_Y, width=width)
    assert_inside(svg)
    # Nothing lost: the title and axis titles are all there, only broken into lines.
    _, texts = boxes(svg)
    shown = " ".join(t for t, *_ in texts)
    assert all(word in shown for word in (LONG_TITLE + " " + LONG_X + " " + LONG_Y).split())


@pytest.mark.parametrize("width", WIDTHS)
def test_a_line_charts_wide_ticks_legend_and_titles_stay_inside_the_viewbox(width: int) -> None:
    series = [
        charts.Series("Taux de présence des prospects", [0.5] * 12),
        charts.Series("Taux de conclusion", [0.2] * 12),
    ]
    svg = charts.line_chart(
        LONG_TITLE,
        WEEKS,
        series,
        value_format=lambda v: f"{v * 100:.1f} % des appels",
        x_label=LONG_X,
        y_label=LONG_Y,
        width=width,
    )
    assert_inside(svg)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_stacked_charts_legend_and_titles_stay_inside_the_viewbox(width: int) -> None:
    series = [
        charts.Series(n, [100.0] * 3) for n in ("Versé sur votre compte", "Disponible au versement", "En attente")
    ]
    svg = charts.stacked_bar_chart(
        LONG_TITLE, WEEKS[:3], series, value_format=lambda v: f"{v:,.2f} €", x_label=LONG_X, y_label=LONG_Y, width=width
    )
    assert_inside(svg)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_horizontal_bar_charts_long_labels_stay_inside_the_viewbox(width: int) -> None:
    svg = charts.hbar_chart(
        LONG_TITLE, REASONS, [3, 2, 1], value_text=["3 affaires", "2", "1"], x_label=LONG_X, width=width
    )
    assert_inside(svg)
    assert REASONS[0] in svg  # cut on screen, whole in the tooltip


def test_the_y_axis_title_is_never_longer_than_the_plot() -> None:
    (_, _), texts = boxes(charts.bar_chart("Calls", ["1 Dec"], [1], y_label=LONG_Y))
    root = ET.fromstring(charts.bar_chart("Calls", ["1 Dec"], [1], y_label=LONG_Y))  # noqa: S314
    axis = root.findall(f"{SVG}line")[0]
    top, base = float(axis.get("y1", 0)), float(axis.get("y2", 0))
    rotated = [t for t in root.iter(f"{SVG}text") if t.get("transform")]
    assert len(rotated) >= 2  # broken into lines rather than running off the chart
    for node in rotated:
        assert len(node.text or "") * 11 * EM <= base - top
    assert texts
