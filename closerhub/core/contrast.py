"""Colour contrast by WCAG 2.x: the ratio of two sRGB colours and the nearest shade that passes.

* ``contrast_ratio("#ffffff", "#000000") == 21.0``: ``(L1 + 0.05) / (L2 + 0.05)`` of the colours'
  relative luminances, the lighter first (1.0 to 21.0).
* ``worst_ratio(color, against)``: the lowest ratio of ``color`` with each of ``against`` (the
  colours drawn on it or under it).
* ``nearest_passing_shade(color, against, minimum)``: the same hue and saturation (HSL) with the
  lightness moved as little as possible, darker or lighter, until every ratio reaches ``minimum``;
  ``color`` itself when it passes; None when no lightness passes (e.g. against black and white).

Colours are ``#rrggbb`` strings (lower case out). Pure functions.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

AA_NORMAL_TEXT = 4.5
_STEPS = 1000  # lightness in thousandths: fine enough that each step moves a channel by < 1/255


def parse_hex(color: str) -> tuple[int, int, int]:
    """``#rrggbb`` or ``#rgb`` as 0–255 channels; ValueError otherwise."""
    value = color.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{max(0, min(255, c)):02x}" for c in rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG relative luminance, 0.0 (black) to 1.0 (white)."""
    r, g, b = parse_hex(color)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, 1.0 to 21.0 (order does not matter)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def worst_ratio(color: str, against: Sequence[str]) -> float:
    """The lowest contrast ratio of ``color`` with any of ``against``."""
    return min(contrast_ratio(color, other) for other in against)


def passes(color: str, against: Sequence[str], minimum: float = AA_NORMAL_TEXT) -> bool:
    return worst_ratio(color, against) >= minimum


def _with_lightness(hue: float, saturation: float, lightness: float) -> str:
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return to_hex((round(r * 255), round(g * 255), round(b * 255)))


def nearest_passing_shade(color: str, against: Sequence[str], minimum: float = AA_NORMAL_TEXT) -> str | None:
    """The colour of ``color``'s hue and saturation whose lightness is nearest to its own and whose
    contrast with every colour of ``against`` is at least ``minimum``; ``color`` (normalised) when it
    already passes; None when no lightness of that hue passes."""
    normal = to_hex(parse_hex(color))
    if passes(normal, against, minimum):
        return normal
    r, g, b = parse_hex(normal)
    hue, lightness, saturation = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    start = round(lightness * _STEPS)
    for distance in range(1, _STEPS + 1):
        # Darker first at equal distance: on light pages that is the side that can pass.
        for step in (start - distance, start + distance):
            if 0 <= step <= _STEPS:
                shade = _with_lightness(hue, saturation, step / _STEPS)
                if passes(shade, against, minimum):
                    return shade
    return None


def darker(color: str, amount: float) -> str:
    """``color`` with its HSL lightness lowered by ``amount`` (0–1), same hue and saturation."""
    r, g, b = parse_hex(color)
    hue, lightness, saturation = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    return _with_lightness(hue, saturation, max(0.0, lightness - amount))
