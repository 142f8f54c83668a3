"""Accessible inline SVG charts, drawn on the server: no JavaScript, no CDN, readable without colour.

Pure functions: the caller passes labels and values already formatted in the user's
locale (money through ``core.money.format_money``), and gets an SVG string back. Every
chart has a ``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``), axis labels,
and each value written as text beside its mark, so a screen reader, a printout or a
colour-blind reader gets the numbers, not only the shapes. Every piece of text is
escaped: labels may be user data (an offer's name, a closer's name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from closerhub.core.i18n import N_, _

PALETTE = ("#1f5eff", "#137a4b", "#d08a00", "#b3261e", "#6b4fbb", "#00838f")
INK, MUTED, GRID = "#14213d", "#5b6475", "#dde2ea"
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 40, 56  # plot margins: room for the axis labels and the legend
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


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    cid = _t(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{cid}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{cid}-title">{_t(title)}</title>',
        f'<desc id="{cid}-desc">{_t(desc)}</desc>',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600" fill="{INK}">{_t(title)}</text>',
    ]


def _axes(parts: list[str], width: int, height: int, x_label: str, y_label: str) -> None:
    base = height - BOTTOM
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{MUTED}"/>')
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{width - RIGHT}" y2="{base}" stroke="{MUTED}"/>')
    parts.append(
        f'<text x="{(LEFT + width - RIGHT) / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">'
        f"{_t(x_label)}</text>"
    )
    mid = (TOP + base) / 2
    parts.append(
        f'<text x="14" y="{mid:.1f}" text-anchor="middle" fill="{MUTED}" transform="rotate(-90 14 {mid:.1f})">'
        f"{_t(y_label)}</text>"
    )


def _x_labels(parts: list[str], labels: Sequence[str], width: int, height: int) -> float:
    """Category labels under the axis; returns the slot width. Long runs show every other label."""
    slot = (width - LEFT - RIGHT) / max(len(labels), 1)
    step = 1 if len(labels) <= 13 else 2
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            x = LEFT + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{height - BOTTOM + 14}" text-anchor="middle" fill="{MUTED}">{_t(label)}</text>'
            )
    return slot


def _empty(parts: list[str], width: int, height: int, message: str) -> str:
    parts.append(
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="{MUTED}">{_t(message)}</text>'
    )
    parts.append("</svg>")
    return _svg(parts)


def _legend(parts: list[str], series: Sequence[Series], width: int) -> None:
    x = width - RIGHT
    for i, s in reversed(list(enumerate(series))):
        color = s.color or PALETTE[i % len(PALETTE)]
        text_w = 7 * len(s.name) + 18
        x -= text_w
        parts.append(f'<rect x="{x:.1f}" y="24" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="33" fill="{INK}">{_t(s.name)}</text>')


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
    parts = _open(chart_id, title, desc or empty_text, width, height)
    _axes(parts, width, height, x_label, y_label)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return _empty(parts, width, height, empty_text)
    slot = _x_labels(parts, labels, width, height)
    plot_h = height - TOP - BOTTOM - 14
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        h = max(value, 0) / top * plot_h
        x, y = LEFT + slot * i + slot * 0.15, height - BOTTOM - h
        parts.append(
            f"<g><title>{_t(label)}: {_t(text)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}">{_t(text)}</text></g>'
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
    """Horizontal bars for categories with long names (lost reasons, techniques), values at the bar's end."""
    empty_text = _(NO_DATA) if empty_text is None else empty_text
    texts = list(value_text) if value_text is not None else [f"{v:g}" for v in values]
    row_h, label_w = 24, 170
    height = TOP + row_h * max(len(labels), 2) + 28
    desc = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    parts = _open(chart_id, title, desc or empty_text, width, height)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return _empty(parts, width, height, empty_text)
    plot_w = width - label_w - 90
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = TOP + row_h * i
        w = max(value, 0) / top * plot_w
        parts.append(
            f"<g><title>{_t(label)}: {_t(text)}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="{INK}">{_t(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" fill="{INK}">{_t(text)}</text></g>'
        )
    parts.append(
        f'<text x="{label_w + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}">'
        f"{_t(x_label)}</text>"
    )
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
    parts = _open(chart_id, title, desc or empty_text, width, height)
    _axes(parts, width, height, x_label, y_label)
    top = max(totals, default=0)
    if not labels or top == 0:
        return _empty(parts, width, height, empty_text)
    _legend(parts, series, width)
    slot = _x_labels(parts, labels, width, height)
    plot_h = height - TOP - BOTTOM - 14
    for i, label in enumerate(labels):
        x, y = LEFT + slot * i + slot * 0.15, float(height - BOTTOM)
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
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}" font-size="9">'
                f"{_t(value_format(totals[i]))}</text>"
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
    parts = _open(chart_id, title, desc or empty_text, width, height)
    _axes(parts, width, height, x_label, y_label)
    if not labels or all(v is None for s in series for v in s.values):
        return _empty(parts, width, height, empty_text)
    _legend(parts, series, width)
    slot = _x_labels(parts, labels, width, height)
    base, plot_h = height - BOTTOM, height - TOP - BOTTOM - 14
    for frac in (0.5, 1.0):
        y = base - frac * plot_h
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_t(value_format(frac * y_max))}</text>"
        )
    for j, s in enumerate(series):
        color = s.color or PALETTE[j % len(PALETTE)]
        points: list[list[tuple[float, float]]] = [[]]
        parts.append(f"<g><title>{_t(s.name)}</title>")
        for i, value in enumerate(s.values):
            if value is None:
                points.append([])
                continue
            x = LEFT + slot * (i + 0.5)
            y = base - min(max(value, 0), y_max) / y_max * plot_h
            points[-1].append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{_t(labels[i])}: '
                f"{_t(s.name)} {_t(value_format(value))}</title></circle>"
            )
            parts.append(
                f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="{color}" font-size="9">'
                f"{_t(value_format(value))}</text>"
            )
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return _svg(parts)
