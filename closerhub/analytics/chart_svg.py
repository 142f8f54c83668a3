"""The SVG pieces every chart is made of: the frame with its title, the axes, category labels, legend.

Every piece of text is escaped (labels may be user data) and placed from the layout in
``chart_layout`` so it stays inside the ``viewBox``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from closerhub.analytics.chart_layout import (
    FONT,
    LINE,
    PAD,
    RIGHT,
    TITLE_FONT,
    TITLE_LINE,
    Frame,
    fit,
    legend_entry_width,
    text_width,
)

PALETTE = ("#1f5eff", "#137a4b", "#d08a00", "#b3261e", "#6b4fbb", "#00838f")
INK, MUTED, GRID = "#14213d", "#5b6475", "#dde2ea"


@dataclass(frozen=True)
class Series:
    """A named line or stack layer; ``None`` is a gap (no data that week)."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


def esc(text: object) -> str:
    """``text`` escaped for SVG text and attributes."""
    return escape(str(text), quote=True)


def as_markup(parts: list[str]) -> str:
    """The finished SVG, marked safe."""
    # Safe to mark: every piece of text went through _t (escaped); the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704


def open_svg(chart_id: str, title: str, desc: str, fr: Frame) -> list[str]:
    """The ``<svg>`` element with its accessible title and description, and the visible title's lines."""
    cid = esc(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{cid}" '
        f'viewBox="0 0 {fr.width} {fr.height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{cid}-title">{esc(title)}</title>',
        f'<desc id="{cid}-desc">{esc(desc)}</desc>',
    ]
    for i, line in enumerate(fr.title_lines):
        parts.append(
            f'<text x="{PAD}" y="{PAD + 11 + TITLE_LINE * i}" font-size="{TITLE_FONT}" font-weight="600" '
            f'fill="{INK}">{esc(line)}</text>'
        )
    return parts


def inside(x: float, text: str, width: int, size: float = FONT) -> float:
    """``x`` for a centred ``text``, moved in just enough to stay inside the chart."""
    half = text_width(text, size) / 2
    return min(max(x, PAD + half), width - PAD - half)


def x_title(parts: list[str], fr: Frame, x_center: float) -> None:
    """The x axis title's lines under the category labels, centred on ``x_center`` as far as they fit."""
    for i, line in enumerate(fr.x_lines):
        half = text_width(line) / 2
        x = min(max(x_center, PAD + half), fr.width - PAD - half)  # a wide title moves in rather than out
        parts.append(
            f'<text x="{x:.1f}" y="{fr.base + 19 + LINE * (i + 1):.1f}" text-anchor="middle" fill="{MUTED}">'
            f"{esc(line)}</text>"
        )


def axes(parts: list[str], fr: Frame) -> None:
    """Both axes, the x axis title under the plot and the y axis title's lines rotated along its left."""
    base, right = fr.base, fr.width - RIGHT
    parts.append(f'<line x1="{fr.left:.1f}" y1="{fr.top:.1f}" x2="{fr.left:.1f}" y2="{base:.1f}" stroke="{MUTED}"/>')
    parts.append(f'<line x1="{fr.left:.1f}" y1="{base:.1f}" x2="{right}" y2="{base:.1f}" stroke="{MUTED}"/>')
    x_title(parts, fr, (fr.left + right) / 2)
    mid = (fr.top + base) / 2
    for i, line in enumerate(fr.y_lines):  # rotated: each line's glyphs rise towards the left edge
        x = PAD + 9 + LINE * i
        parts.append(
            f'<text x="{x}" y="{mid:.1f}" text-anchor="middle" fill="{MUTED}" transform="rotate(-90 {x} {mid:.1f})">'
            f"{esc(line)}</text>"
        )


def x_labels(parts: list[str], labels: Sequence[str], fr: Frame) -> float:
    """Category labels under the axis; returns the slot width.

    Labels wider than their slot show every n-th label (n as small as fits); one wider than
    the whole plot is cut with an ellipsis (the bar's tooltip and the description keep it whole).
    """
    slot = fr.plot_width / max(len(labels), 1)
    widest = max((text_width(label) for label in labels), default=0.0)
    step = max(1 if len(labels) <= 13 else 2, math.ceil((widest + 6) / slot))
    step = min(step, max(len(labels), 1))
    room = min(slot * step - 6, fr.width - 2 * PAD)
    for i, label in enumerate(labels):
        if i % step == 0 or (i == len(labels) - 1 and i % step >= step / 2):
            shown = fit(label, room)
            half = text_width(shown) / 2
            x = min(max(fr.left + slot * (i + 0.5), PAD + half), fr.width - PAD - half)
            parts.append(
                f'<text x="{x:.1f}" y="{fr.base + 14:.1f}" text-anchor="middle" fill="{MUTED}">{esc(shown)}</text>'
            )
    return slot


def empty(parts: list[str], fr: Frame, message: str) -> str:
    """The chart with ``message`` in place of marks."""
    parts.append(
        f'<text x="{fr.width / 2:.1f}" y="{(fr.top + fr.base) / 2:.1f}" text-anchor="middle" fill="{MUTED}">'
        f"{esc(fit(message, fr.width - 2 * PAD))}</text>"
    )
    parts.append("</svg>")
    return as_markup(parts)


def legend(parts: list[str], series: Sequence[Series], fr: Frame) -> None:
    """Swatch and name per series, right-aligned under the title, in as many rows as it takes."""
    for r, row in enumerate(fr.legend):
        y = fr.legend_y(r)
        x = fr.width - PAD - sum(legend_entry_width(series[i].name) for i in row)
        for i in row:
            s = series[i]
            color = s.color or PALETTE[i % len(PALETTE)]
            parts.append(f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="10" height="10" fill="{color}"/>')
            parts.append(f'<text x="{x + 14:.1f}" y="{y + 10:.1f}" fill="{INK}">{esc(s.name)}</text>')
            x += legend_entry_width(s.name)
