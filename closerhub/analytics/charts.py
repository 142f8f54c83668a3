"""Accessible inline SVG charts, drawn on the server: no JavaScript, no CDN, readable without colour.

Pure functions: the caller passes labels and values already formatted in the user's
locale (money through ``core.money.format_money``), and gets an SVG string back. Every
chart has a ``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``), axis labels,
and each value written as text beside its mark, so a screen reader, a printout or a
colour-blind reader gets the numbers, not only the shapes. Every piece of text is
escaped: labels may be user data (an offer's name, a closer's name).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
    frame,
    legend_entry_width,
    text_width,
)
from closerhub.core.i18n import N_, _

PALETTE = ("#1f5eff", "#137a4b", "#d08a00", "#b3261e", "#6b4fbb", "#00838f")
INK, MUTED, GRID = "#14213d", "#5b6475", "#dde2ea"
DEFAULT_MARGINS = 96  # ``height`` minus this is the plot's height; the margins then fit the text around it
NO_DATA = N_("No data for this period.")  # the default ``empty_text``, translated when a chart is drawn


@dataclass(frozen=True)
class Series:
    """A named line or stack layer; ``None`` is a gap (no data that week)."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(parts: list[str]) -> str:
    # Safe to mark: every piece of text went through _t (escaped); the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704


def _open(chart_id: str, title: str, desc: str, fr: Frame) -> list[str]:
    cid = _t(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{cid}" '
        f'viewBox="0 0 {fr.width} {fr.height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{cid}-title">{_t(title)}</title>',
        f'<desc id="{cid}-desc">{_t(desc)}</desc>',
    ]
    for i, line in enumerate(fr.title_lines):
        parts.append(
            f'<text x="{PAD}" y="{PAD + 11 + TITLE_LINE * i}" font-size="{TITLE_FONT}" font-weight="600" '
            f'fill="{INK}">{_t(line)}</text>'
        )
    return parts


def _inside(x: float, text: str, width: int, size: float = FONT) -> float:
    """``x`` for a centred ``text``, moved in just enough to stay inside the chart."""
    half = text_width(text, size) / 2
    return min(max(x, PAD + half), width - PAD - half)


def _x_title(parts: list[str], fr: Frame, x_center: float) -> None:
    for i, line in enumerate(fr.x_lines):
        half = text_width(line) / 2
        x = min(max(x_center, PAD + half), fr.width - PAD - half)  # a wide title moves in rather than out
        parts.append(
            f'<text x="{x:.1f}" y="{fr.base + 19 + LINE * (i + 1):.1f}" text-anchor="middle" fill="{MUTED}">'
            f"{_t(line)}</text>"
        )


def _axes(parts: list[str], fr: Frame) -> None:
    base, right = fr.base, fr.width - RIGHT
    parts.append(f'<line x1="{fr.left:.1f}" y1="{fr.top:.1f}" x2="{fr.left:.1f}" y2="{base:.1f}" stroke="{MUTED}"/>')
    parts.append(f'<line x1="{fr.left:.1f}" y1="{base:.1f}" x2="{right}" y2="{base:.1f}" stroke="{MUTED}"/>')
    _x_title(parts, fr, (fr.left + right) / 2)
    mid = (fr.top + base) / 2
    for i, line in enumerate(fr.y_lines):  # rotated: each line's glyphs rise towards the left edge
        x = PAD + 9 + LINE * i
        parts.append(
            f'<text x="{x}" y="{mid:.1f}" text-anchor="middle" fill="{MUTED}" transform="rotate(-90 {x} {mid:.1f})">'
            f"{_t(line)}</text>"
        )


def _x_labels(parts: list[str], labels: Sequence[str], fr: Frame) -> float:
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
                f'<text x="{x:.1f}" y="{fr.base + 14:.1f}" text-anchor="middle" fill="{MUTED}">{_t(shown)}</text>'
            )
    return slot


def _empty(parts: list[str], fr: Frame, message: str) -> str:
    parts.append(
        f'<text x="{fr.width / 2:.1f}" y="{(fr.top + fr.base) / 2:.1f}" text-anchor="middle" fill="{MUTED}">'
        f"{_t(fit(message, fr.width - 2 * PAD))}</text>"
    )
    parts.append("</svg>")
    return _svg(parts)


def _legend(parts: list[str], series: Sequence[Series], fr: Frame) -> None:
    """Swatch and name per series, right-aligned under the title, in as many rows as it takes."""
    for r, row in enumerate(fr.legend):
        y = fr.legend_y(r)
        x = fr.width - PAD - sum(legend_entry_width(series[i].name) for i in row)
        for i in row:
            s = series[i]
            color = s.color or PALETTE[i % len(PALETTE)]
            parts.append(f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="10" height="10" fill="{color}"/>')
            parts.append(f'<text x="{x + 14:.1f}" y="{y + 10:.1f}" fill="{INK}">{_t(s.name)}</text>')
            x += legend_entry_width(s.name)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    value_text: Sequence[str] | None = None,
    x_label: str = "",
    y_label: str = "",
    chart_id: str = "chart",
    empty_text: str | None = None,
    color: str = PALETTE[0],
    width: int = 640,
    height: int = 240,
) -> str:
    """Vertical bars, one per label, each value written above its bar (``value_text`` or the number)."""
    empty_text = _(NO_DATA) if empty_text is None else empty_text
    texts = list(value_text) if value_text is not None else [f"{v:g}" for v in values]
    desc = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    fr = frame(width, height - DEFAULT_MARGINS, title, x_label=x_label, y_label=y_label)
    parts = _open(chart_id, title, desc or empty_text, fr)
    _axes(parts, fr)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return _empty(parts, fr, empty_text)
    slot = _x_labels(parts, labels, fr)
    plot_h = fr.base - fr.top - 14
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        h = max(value, 0) / top * plot_h
        x, y = fr.left + slot * i + slot * 0.15, fr.base - h
        parts.append(
            f"<g><title>{_t(label)}: {_t(text)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}"/>'
            f'<text x="{_inside(x + slot * 0.35, text, width):.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}">'
            f"{_t(text)}</text></g>"
        )
    parts.append("</svg>")
    return _svg(parts)


def hbar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    value_text: Sequence[str] | None = None,
    chart_id: str = "chart",
    x_label: str = "",
    empty_text: str | None = None,
    color: str = PALETTE[0],
    width: int = 640,
) -> str:
    """Horizontal bars for categories with long names (lost reasons, techniques), values at the bar's end.

    The label column is as wide as the longest label, up to 40% of the chart (longer labels are
    cut with an ellipsis; the bar's tooltip and the description keep them whole).
    """
    empty_text = _(NO_DATA) if empty_text is None else empty_text
    texts = list(value_text) if value_text is not None else [f"{v:g}" for v in values]
    row_h = 24
    label_w = min(PAD + 6 + max((text_width(label) for label in labels), default=0.0), width * 0.4)
    value_w = 6 + max((text_width(text) for text in texts), default=0.0)
    fr = frame(width, row_h * max(len(labels), 2), title, x_label=x_label)
    desc = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    parts = _open(chart_id, title, desc or empty_text, fr)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return _empty(parts, fr, empty_text)
    plot_w = max(width - label_w - value_w - PAD, 0)
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = fr.top + row_h * i
        w = max(value, 0) / top * plot_w
        shown = fit(label, label_w - PAD - 6)
        parts.append(
            f"<g><title>{_t(label)}: {_t(text)}</title>"
            f'<text x="{label_w - 6:.1f}" y="{y + 15:.1f}" text-anchor="end" fill="{INK}">{_t(shown)}</text>'
            f'<rect x="{label_w:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15:.1f}" fill="{INK}">{_t(text)}</text></g>'
        )
    _x_title(parts, fr, label_w + plot_w / 2)
    parts.append("</svg>")
    return _svg(parts)


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: Callable[[float], str],
    x_label: str = "",
    y_label: str = "",
    chart_id: str = "chart",
    empty_text: str | None = None,
    width: int = 640,
    height: int = 260,
) -> str:
    """Stacked bars (e.g. pending / available / paid per week), the stack's total written on top.

    A negative layer (a balance below zero after a reversal) is not drawn; its value is still
    in the bar's tooltip and the description, and the table beside the chart has it exactly.
    """
    empty_text = _(NO_DATA) if empty_text is None else empty_text
    totals = [sum(max(s.values[i] or 0, 0) for s in series) for i in range(len(labels))]
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s.name} {value_format(s.values[i] or 0)}" for s in series)
        for i, label in enumerate(labels)
    )
    top = max(totals, default=0)
    drawn = bool(labels) and top > 0
    fr = frame(
        width,
        height - DEFAULT_MARGINS,
        title,
        x_label=x_label,
        y_label=y_label,
        legend=[s.name for s in series] if drawn else (),
    )
    parts = _open(chart_id, title, desc or empty_text, fr)
    _axes(parts, fr)
    if not drawn:
        return _empty(parts, fr, empty_text)
    _legend(parts, series, fr)
    slot = _x_labels(parts, labels, fr)
    plot_h = fr.base - fr.top - 14
    for i, label in enumerate(labels):
        x, y = fr.left + slot * i + slot * 0.15, fr.base
        tip = ", ".join(f"{s.name} {value_format(s.values[i] or 0)}" for s in series)
        parts.append(f"<g><title>{_t(label)}: {_t(tip)}</title>")
        for j, s in enumerate(series):
            h = max(s.values[i] or 0, 0) / top * plot_h
            if h > 0:
                y -= h
                color = s.color or PALETTE[j % len(PALETTE)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}"/>'
                )
        if totals[i] > 0:
            total = value_format(totals[i])
            parts.append(
                f'<text x="{_inside(x + slot * 0.35, total, width, 9):.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'fill="{INK}" font-size="9">{_t(total)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return _svg(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: Callable[[float], str],
    y_max: float = 1.0,
    x_label: str = "",
    y_label: str = "",
    chart_id: str = "chart",
    empty_text: str | None = None,
    width: int = 640,
    height: int = 240,
) -> str:
    """Lines on a 0..``y_max`` scale (rates: 0–1); a ``None`` value breaks the line and is written "—"."""
    empty_text = _(NO_DATA) if empty_text is None else empty_text
    desc = "; ".join(
        f"{s.name}: "
        + ", ".join(
            f"{label} {value_format(v) if v is not None else '—'}" for label, v in zip(labels, s.values, strict=True)
        )
        for s in series
    )
    drawn = bool(labels) and not all(v is None for s in series for v in s.values)
    ticks = [value_format(frac * y_max) for frac in (0.5, 1.0)]
    fr = frame(
        width,
        height - DEFAULT_MARGINS,
        title,
        x_label=x_label,
        y_label=y_label,
        y_ticks=ticks,
        legend=[s.name for s in series] if drawn else (),
    )
    parts = _open(chart_id, title, desc or empty_text, fr)
    _axes(parts, fr)
    if not drawn:
        return _empty(parts, fr, empty_text)
    _legend(parts, series, fr)
    slot = _x_labels(parts, labels, fr)
    base, plot_h = fr.base, fr.base - fr.top - 14
    for frac, tick in zip((0.5, 1.0), ticks, strict=True):
        y = base - frac * plot_h
        parts.append(f'<line x1="{fr.left:.1f}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{fr.left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{_t(tick)}</text>')
    for j, s in enumerate(series):
        color = s.color or PALETTE[j % len(PALETTE)]
        points: list[list[tuple[float, float]]] = [[]]
        parts.append(f"<g><title>{_t(s.name)}</title>")
        for i, value in enumerate(s.values):
            if value is None:
                points.append([])
                continue
            x = fr.left + slot * (i + 0.5)
            y = base - min(max(value, 0), y_max) / y_max * plot_h
            points[-1].append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{_t(labels[i])}: '
                f"{_t(s.name)} {_t(value_format(value))}</title></circle>"
            )
            shown = value_format(value)
            parts.append(
                f'<text x="{_inside(x, shown, width, 9):.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="{color}" '
                f'font-size="9">{_t(shown)}</text>'
            )
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return _svg(parts)
