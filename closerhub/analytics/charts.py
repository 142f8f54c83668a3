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

from closerhub.analytics.chart_layout import PAD, RIGHT, fit, frame, text_width
from closerhub.analytics.chart_svg import (
    GRID,
    INK,
    MUTED,
    PALETTE,
    Series,
    as_markup,
    axes,
    empty,
    esc,
    inside,
    legend,
    open_svg,
    x_labels,
    x_title,
)
from closerhub.core.i18n import N_, _

DEFAULT_MARGINS = 96  # ``height`` minus this is the plot's height; the margins then fit the text around it
NO_DATA = N_("No data for this period.")  # the default ``empty_text``, translated when a chart is drawn


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
    parts = open_svg(chart_id, title, desc or empty_text, fr)
    axes(parts, fr)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return empty(parts, fr, empty_text)
    slot = x_labels(parts, labels, fr)
    plot_h = fr.base - fr.top - 14
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        h = max(value, 0) / top * plot_h
        x, y = fr.left + slot * i + slot * 0.15, fr.base - h
        parts.append(
            f"<g><title>{esc(label)}: {esc(text)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}"/>'
            f'<text x="{inside(x + slot * 0.35, text, width):.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}">'
            f"{esc(text)}</text></g>"
        )
    parts.append("</svg>")
    return as_markup(parts)


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
    parts = open_svg(chart_id, title, desc or empty_text, fr)
    top = max((v for v in values if v > 0), default=0)
    if not labels or top == 0:
        return empty(parts, fr, empty_text)
    plot_w = max(width - label_w - value_w - PAD, 0)
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = fr.top + row_h * i
        w = max(value, 0) / top * plot_w
        shown = fit(label, label_w - PAD - 6)
        parts.append(
            f"<g><title>{esc(label)}: {esc(text)}</title>"
            f'<text x="{label_w - 6:.1f}" y="{y + 15:.1f}" text-anchor="end" fill="{INK}">{esc(shown)}</text>'
            f'<rect x="{label_w:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15:.1f}" fill="{INK}">{esc(text)}</text></g>'
        )
    x_title(parts, fr, label_w + plot_w / 2)
    parts.append("</svg>")
    return as_markup(parts)


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
    parts = open_svg(chart_id, title, desc or empty_text, fr)
    axes(parts, fr)
    if not drawn:
        return empty(parts, fr, empty_text)
    legend(parts, series, fr)
    slot = x_labels(parts, labels, fr)
    plot_h = fr.base - fr.top - 14
    for i, label in enumerate(labels):
        x, y = fr.left + slot * i + slot * 0.15, fr.base
        tip = ", ".join(f"{s.name} {value_format(s.values[i] or 0)}" for s in series)
        parts.append(f"<g><title>{esc(label)}: {esc(tip)}</title>")
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
                f'<text x="{inside(x + slot * 0.35, total, width, 9):.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'fill="{INK}" font-size="9">{esc(total)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return as_markup(parts)


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
    parts = open_svg(chart_id, title, desc or empty_text, fr)
    axes(parts, fr)
    if not drawn:
        return empty(parts, fr, empty_text)
    legend(parts, series, fr)
    slot = x_labels(parts, labels, fr)
    base, plot_h = fr.base, fr.base - fr.top - 14
    for frac, tick in zip((0.5, 1.0), ticks, strict=True):
        y = base - frac * plot_h
        parts.append(f'<line x1="{fr.left:.1f}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{fr.left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{esc(tick)}</text>')
    for j, s in enumerate(series):
        color = s.color or PALETTE[j % len(PALETTE)]
        points: list[list[tuple[float, float]]] = [[]]
        parts.append(f"<g><title>{esc(s.name)}</title>")
        for i, value in enumerate(s.values):
            if value is None:
                points.append([])
                continue
            x = fr.left + slot * (i + 0.5)
            y = base - min(max(value, 0), y_max) / y_max * plot_h
            points[-1].append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{esc(labels[i])}: '
                f"{esc(s.name)} {esc(value_format(value))}</title></circle>"
            )
            shown = value_format(value)
            parts.append(
                f'<text x="{inside(x, shown, width, 9):.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="{color}" '
                f'font-size="9">{esc(shown)}</text>'
            )
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return as_markup(parts)
