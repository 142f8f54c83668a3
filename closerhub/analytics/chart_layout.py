"""Where a chart's text goes: margins computed from the text itself, so nothing is clipped.

The SVG is drawn on the server, so text cannot be measured; widths are estimated from the
character count at a generous average glyph width (``CHAR_EM``), so an estimate errs wide and
the text stays inside the ``viewBox``. The chart scales with the page (``viewBox``, ``meet``),
so what fits at one size fits at every size, phone or desktop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CHAR_EM = 0.62  # average advance of a sans-serif glyph in em, rounded up (digits ~0.55, capitals ~0.7)
FONT, TITLE_FONT = 11, 13
LINE, TITLE_LINE = 13, 17  # line heights
PAD = 8  # kept free at every edge of the viewBox
MIN_LEFT, RIGHT = 56, 16
ELLIPSIS = "…"


def text_width(text: str, size: float = FONT) -> float:
    """Estimated advance of ``text`` at ``size`` px (errs wide)."""
    return len(text) * size * CHAR_EM


def fit(text: str, room: float, size: float = FONT) -> str:
    """``text``, cut with an ellipsis if it would be wider than ``room`` (the full text stays in a tooltip)."""
    if text_width(text, size) <= room:
        return text
    keep = max(int(room / (size * CHAR_EM)) - 1, 1)
    return text[:keep].rstrip() + ELLIPSIS


def wrap(text: str, room: float, size: float = FONT) -> tuple[str, ...]:
    """``text`` in lines no wider than ``room``, broken between words (a longer word is broken inside)."""
    per_line = max(int(room / (size * CHAR_EM)), 1)
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > per_line:  # a single word wider than the room: break it
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return tuple(lines)


def legend_rows(names: Sequence[str], room: float) -> list[list[int]]:
    """Series indexes per legend row, each row at most ``room`` wide (a swatch and a gap per entry)."""
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, name in enumerate(names):
        w = legend_entry_width(name)
        if rows[-1] and used + w > room:
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += w
    return rows


def legend_entry_width(name: str) -> float:
    return 14 + text_width(name) + 10


@dataclass(frozen=True)
class Frame:
    """A chart's outer size and plot area, and its title and axis titles broken into lines."""

    width: int
    height: int
    left: float
    top: float
    bottom: float  # the margin under the plot
    title_lines: tuple[str, ...]
    x_lines: tuple[str, ...]
    y_lines: tuple[str, ...]
    legend: tuple[tuple[int, ...], ...]

    @property
    def base(self) -> float:
        """The y of the x axis."""
        return self.height - self.bottom

    @property
    def plot_width(self) -> float:
        return self.width - self.left - RIGHT

    def legend_y(self, row: int) -> float:
        """Top of legend row ``row`` (under the title)."""
        return PAD + TITLE_LINE * len(self.title_lines) + 2 + LINE * row


def frame(
    width: int,
    plot_height: int,
    title: str,
    *,
    x_label: str = "",
    y_label: str = "",
    y_ticks: Sequence[str] = (),
    legend: Sequence[str] = (),
) -> Frame:
    """Lay out a chart whose plot is ``plot_height`` high: the margins grow with the text around it."""
    title_lines = wrap(title, width - 2 * PAD, TITLE_FONT) if title else ()
    rows = legend_rows(legend, width - 2 * PAD) if legend else []
    top = PAD + TITLE_LINE * len(title_lines) + LINE * len(rows) + 12
    x_lines = wrap(x_label, width - 2 * PAD) if x_label else ()
    bottom = 22 + LINE * len(x_lines) + PAD  # the category labels' row, then the axis title
    y_lines = wrap(y_label, plot_height) if y_label else ()
    tick_w = max((text_width(t) for t in y_ticks), default=0.0)
    left = max(MIN_LEFT, PAD + LINE * len(y_lines) + tick_w + 10)
    return Frame(
        width=width,
        height=math.ceil(top + plot_height + bottom),
        left=left,
        top=top,
        bottom=bottom,
        title_lines=title_lines,
        x_lines=x_lines,
        y_lines=y_lines,
        legend=tuple(tuple(r) for r in rows),
    )
