"""Spreadsheet-safe CSV: the one way the app writes a CSV file (exports, payout batches, rejected rows).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
leading tab or carriage return can hide one): a name, an email or a line of an uploaded
file is user input, so every text cell that starts with one of those gets a leading
apostrophe, which spreadsheets show as text and do not evaluate ("CSV injection", OWASP).

Numbers the code computes itself are passed as ``int`` or ``Decimal``, never as text: they
are written as they are, so a genuinely negative amount stays ``-12.50``, readable and
summable. Only those two types are trusted; anything else is text and is neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """One cell as spreadsheet-safe text: ``int``/``Decimal`` as written, None as blank, any other
    value as text with a leading apostrophe when it starts with ``= + - @``, a tab or a CR."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)  # a number we computed: cannot be a formula, keeps its sign
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The rows (header first) as CSV text with CRLF line ends, every cell through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def resafe(text: str) -> str:
    """CSV text from elsewhere (a form sends a file back to be downloaded) read and written again
    through ``csv_text``, so it too is neutralised; a neutralised file comes back unchanged.
    Raises ``csv.Error`` for text that is not CSV."""
    return csv_text(csv.reader(io.StringIO(text, newline=""), strict=True))


__all__ = ["FORMULA_START", "csv_text", "resafe", "safe_cell"]
