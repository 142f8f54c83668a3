"""Reading an uploaded CSV file: the one reader of the leads import and the collections import.

Lenient about the shape, strict about the content: UTF-8 with or without a byte-order mark
(Excel's "CSV UTF-8"), anything else refused with a message saying how to save the file; comma
or semicolon delimiter (French Excel writes semicolons), told from the header line; header
names compared case-insensitively (``normalise_header``); at most 2 MB and 5,000 rows, so one
import stays one short transaction. Rejected rows are reported with their line and a message
per column, and can be downloaded again as CSV with an ``errors`` column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from closerhub.core.csv_safe import csv_text
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
ERRORS_COLUMN = "errors"
# Signatures of files people upload by mistake (spreadsheets, PDFs, images, archives).
BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b")
NOT_CSV = N_("This is not a CSV file. Save the sheet as “CSV UTF-8 (comma delimited)” and upload that.")

T = TypeVar("T")


def normalise_header(raw: str) -> str:
    """``" Phone_Number "`` → ``"phone number"``: case, spaces, ``_`` and ``-`` do not matter."""
    return " ".join(raw.replace("_", " ").replace("-", " ").casefold().split())


def file_error(message: str) -> ValidationError:
    """A problem with the whole file (encoding, size, header): nothing is imported."""
    return ValidationError(message, field_errors={"file": message}, code="invalid_csv")


@dataclass(frozen=True)
class RowError:
    """A rejected row: its line in the file, its cells as read, and a message per column."""

    line: int
    cells: list[str]
    errors: dict[str, str]  # column label (as in the file's header) → message

    @property
    def summary(self) -> str:
        """``"Email: Enter a valid email address.; Phone number: …"`` for the errors column."""
        return "; ".join(f"{column}: {message}" for column, message in self.errors.items())


def rejected_csv(header: list[str], errors: list[RowError]) -> str:
    """The rejected rows as CSV (the file's header plus ``errors``), to fix and import again.

    Every cell is the uploader's text (or our message quoting it): neutralised by ``csv_text``
    so a rejected "=HYPERLINK(...)" is shown, not run, when the file is opened again.
    """
    rows: list[list[object]] = [[*header, ERRORS_COLUMN]]
    for row in errors:
        cells = (row.cells + [""] * len(header))[: len(header)]
        rows.append([*cells, row.summary])
    return csv_text(rows)


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a BOM; a clear ValidationError for anything else."""
    if not data.strip():
        raise file_error(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise file_error(
            _(
                "The file is %(size)s MB; the limit is 2 MB. Split it into smaller files.",
                size=f"{len(data) / 1024 / 1024:.1f}",
            )
        )
    if data.startswith(BINARY_MAGIC) or b"\x00" in data[:4096]:
        raise file_error(_(NOT_CSV))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” (Excel) or choose UTF-8 when exporting.")
        ) from None
    if "\x00" in text:
        raise file_error(_(NOT_CSV))
    return text


def sniff_delimiter(text: str) -> str:
    """``;`` when the header line has more semicolons than commas (outside quotes), else ``,``."""
    first = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    counts = {",": 0, ";": 0}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return ";" if counts[";"] > counts[","] else ","


def read_records(data: bytes, on_header: Callable[[list[str]], T]) -> tuple[list[str], T, list[tuple[int, list[str]]]]:
    """The whole file read and checked before anything is saved: (header, ``on_header(header)``, rows).

    ``on_header`` checks the header row (``[]`` when there is none) before the rows are read and
    returns the column map; each row is (its line in the file, its cells). Blank lines are
    skipped; more than ``MAX_ROWS`` rows or unreadable CSV raise a file error.
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    try:
        header = next(reader, None) or []
        columns = on_header(header)
        rows: list[tuple[int, list[str]]] = []
        while True:
            line = reader.line_num + 1  # where the next record starts (a quoted cell may span lines)
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise file_error(
                    _("The file has more than %(limit)s rows; split it into smaller files.", limit=f"{MAX_ROWS:,}")
                )
            rows.append((line, cells))
    except csv.Error as exc:
        raise file_error(
            _("Line %(line)d: the CSV cannot be read (%(error)s). Check the quotes.", line=reader.line_num, error=exc)
        ) from None
    return [h.strip() for h in header], columns, rows
