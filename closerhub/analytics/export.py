"""Table cells as text: for the page (the user's locale and zone) and for CSV files (spreadsheet-safe).

CSV files are written by ``core.csv_safe`` (the app's one CSV writer): a text cell starting
with ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe (CSV injection). Numbers we compute
are handed over as ``int``/``Decimal``, so they stay numbers, negative ones included.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, parse_pattern

from closerhub.analytics.table_kinds import Table
from closerhub.core.csv_safe import csv_text
from closerhub.core.money import Money, format_money
from closerhub.core.tz import to_local
from closerhub.i18n import local_time  # needs the request's Babel settings

DASH = "—"  # no data: never a division by zero


@lru_cache(maxsize=64)
def babel_locale(locale: str) -> Locale:
    """The parsed Babel locale, once per process: parsing it per cell cost most of a large page's time."""
    return Locale.parse(locale)


@lru_cache(maxsize=64)
def _percent_pattern(locale: str) -> NumberPattern:
    # The locale's own percent pattern (French puts a space before %), with exactly one decimal.
    pattern = parse_pattern(babel_locale(locale).percent_formats[None].pattern)
    pattern.frac_prec = (1, 1)
    return pattern


@lru_cache(maxsize=64)
def _multiple_pattern(locale: str) -> NumberPattern:
    return parse_pattern("#,##0.0")


def percent(rate: float | None, locale: str) -> str:
    """A 0–1 rate as a percentage with one decimal (``12.5%``, ``12,5 %`` in French), or "—"."""
    if rate is None:
        return DASH
    return _percent_pattern(locale).apply(Decimal(str(rate)), babel_locale(locale))


def cell_html(value: Any, kind: str, locale: str, zone: str) -> str:
    """A cell formatted for display (escaped by Jinja later)."""
    if value is None:
        return DASH
    if kind == "rate":
        return percent(value, locale)
    if kind == "money":
        return format_money(value, babel_locale(locale))
    if kind == "multiple":
        return _multiple_pattern(locale).apply(Decimal(str(value)), babel_locale(locale)) + "×"
    if kind == "date":
        return format_date(value, "medium", locale=babel_locale(locale))
    if kind == "datetime":
        return local_time(value, zone)
    if kind == "int":
        return format_decimal(value, locale=babel_locale(locale))
    return str(value)


def cell_csv(value: Any, kind: str, zone: str) -> object:
    """A cell for a CSV file: numbers as ``Decimal``/``int`` (money in major units, rates in percent),
    ISO dates, and any other value as text; ``core.csv_safe`` neutralises the text cells."""
    if value is None:
        return ""
    if kind == "rate":
        return Decimal(f"{Decimal(str(value)) * 100:.1f}")
    if kind == "money" and isinstance(value, Money):
        return value.to_decimal()
    if kind == "multiple":
        return Decimal(f"{Decimal(str(value)):.1f}")
    if kind == "datetime" and isinstance(value, datetime):
        return to_local(value, zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if kind == "int" and isinstance(value, int):
        return value
    return str(value)


def to_csv(table: Table, zone: str) -> str:
    """The table as CSV text (header row first) through ``core.csv_safe.csv_text``; cells from ``cell_csv``."""
    header = [c.label + (" (%)" if c.kind == "rate" else "") for c in table.columns]
    rows = ([cell_csv(row.get(c.key), c.kind, zone) for c in table.columns] for row in table.rows)
    return csv_text([header, *rows])
