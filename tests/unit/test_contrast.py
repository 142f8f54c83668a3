"""WCAG contrast ratios and the nearest passing shade (``core.contrast``)."""

from __future__ import annotations

import colorsys

import pytest

from closerhub.core.contrast import (
    contrast_ratio,
    darker,
    nearest_passing_shade,
    parse_hex,
    relative_luminance,
    worst_ratio,
)

PAGE = ("#ffffff", "#f6f7fb")


def _hls(color: str) -> tuple[float, float, float]:
    r, g, b = parse_hex(color)
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [
        ("#ffffff", "#000000", 21.0),
        ("#000000", "#ffffff", 21.0),  # order does not matter
        ("#777777", "#777777", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic just-failing grey
        ("#767676", "#ffffff", 4.54),  # and the just-passing one
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.0),
    ],
)
def test_contrast_ratio_matches_the_wcag_reference_values(a: str, b: str, ratio: float) -> None:
    assert contrast_ratio(a, b) == pytest.approx(ratio, abs=0.005)


def test_luminance_and_parsing() -> None:
    assert relative_luminance("#000") == 0.0 and relative_luminance("#FFF") == pytest.approx(1.0)
    assert parse_hex("#a30") == (0xAA, 0x33, 0x00)
    for bad in ("red", "#12345", "#gggggg", ""):
        with pytest.raises(ValueError):
            parse_hex(bad)


def test_worst_ratio_is_the_lowest_against_each_colour() -> None:
    assert worst_ratio("#1f6feb", PAGE) == pytest.approx(contrast_ratio("#1f6feb", "#f6f7fb"))
    assert worst_ratio("#1f6feb", PAGE) < 4.5 < contrast_ratio("#1f6feb", "#ffffff")  # passes on white only


def test_a_passing_colour_is_its_own_nearest_shade() -> None:
    assert nearest_passing_shade("#1D4ED8", PAGE) == "#1d4ed8"
    assert nearest_passing_shade("#000", PAGE) == "#000000"


@pytest.mark.parametrize("color", ["#ffcc00", "#ff0000", "#00ff00", "#1f6feb", "#777777", "#ffffff", "#f0a0c0"])
def test_a_failing_colour_is_darkened_just_enough_keeping_its_hue(color: str) -> None:
    shade = nearest_passing_shade(color, PAGE)
    assert shade is not None and shade != color
    assert worst_ratio(shade, PAGE) >= 4.5
    hue, lightness, saturation = _hls(color)
    shade_hue, shade_lightness, shade_saturation = _hls(shade)
    assert shade_lightness < lightness
    if saturation > 0.05:
        assert shade_hue == pytest.approx(hue, abs=0.01) and shade_saturation == pytest.approx(saturation, abs=0.03)
    # Nearest: one step lighter (a hundredth of lightness) would fail again.
    one_lighter = darker(shade, -0.01)
    assert worst_ratio(one_lighter, PAGE) < 4.5


def test_on_a_dark_background_the_shade_is_lightened() -> None:
    shade = nearest_passing_shade("#1a237e", ("#111111",))
    assert shade is not None and worst_ratio(shade, ("#111111",)) >= 4.5
    assert _hls(shade)[1] > _hls("#1a237e")[1]


def test_no_shade_passes_against_both_black_and_white_at_seven_to_one() -> None:
    assert nearest_passing_shade("#808080", ("#000000", "#ffffff"), minimum=7.0) is None


def test_darker_lowers_lightness_only() -> None:
    assert darker("#1d4ed8", 0.08) != "#1d4ed8"
    assert _hls(darker("#1d4ed8", 0.08))[1] == pytest.approx(_hls("#1d4ed8")[1] - 0.08, abs=0.005)
    assert darker("#000000", 0.5) == "#000000"
