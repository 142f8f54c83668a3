"""CSV import of leads: read the file, map its columns, import the good rows, report the bad ones.

What a business exports from a spreadsheet or a CRM varies, so the reader is lenient
about the shape and strict about the content:

- the file is read by ``core.csv_import`` (UTF-8 with or without a BOM, comma or semicolon,
  at most 2 MB and 5,000 rows);
- header names are matched case-insensitively, with common aliases ("Full name",
  "Phone number", "Time zone"); unknown columns are listed and ignored.

Every row is a ``LeadDetails`` checked by ``clean_lead_details`` like a lead typed in a form. A row with an
error is not imported and is reported with its line number and a message per column; the
others are. The rejected rows can be downloaded again as CSV, with an ``errors`` column, to
be fixed and re-imported. Within a file, a later row with the same email updates the lead
an earlier row created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.core.csv_import import (
    RowError,
    file_error,
    normalise_header,
    read_records,
    rejected_csv,
)
from closerhub.core.errors import Conflict, ValidationError
from closerhub.core.i18n import _
from closerhub.leads.cleaning import clean_lead_details
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.leads.service import LeadValues, merge_into, new_lead
from closerhub.webhooks.service import emit

DEFAULT_SOURCE = "csv"

# Accepted header names per lead field, compared after ``_normalise_header``.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "contact name", "lead name", "nom"),
    "email": ("email", "e mail", "email address", "e mail address", "mail"),
    "phone": ("phone", "phone number", "telephone", "telephone number", "mobile", "tel", "phone e164"),
    "timezone": ("timezone", "time zone", "tz", "zone"),
    "language": ("language", "lang"),
    "needs": ("needs", "need"),
    "motivations": ("motivations", "motivation"),
    "blockers": ("blockers", "blocker", "objections"),
    "budget": ("budget",),
    "decision_makers": ("decision makers", "decision maker", "decisionmakers"),
    "notes": ("notes", "note", "setter notes"),
    "source": ("source", "lead source"),
}
REQUIRED_COLUMNS = ("name", "email", "timezone")
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


@dataclass
class ImportReport:
    """What an import did: rows created and updated, rows rejected (with why), columns ignored."""

    header: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def rows(self) -> int:
        return self.imported + len(self.errors)

    def rejected_csv(self) -> str:
        """The rejected rows as CSV (the file's header plus ``errors``), to fix and import again."""
        return rejected_csv(self.header, self.errors)


def map_header(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index → lead field, and the labels of the columns ignored; ValidationError when
    a required column is missing or a field appears twice."""
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for index, label in enumerate(header):
        name = _ALIAS_TO_FIELD.get(normalise_header(label))
        if name is None:
            if label.strip():
                ignored.append(label.strip())
            continue
        if name in seen:
            raise file_error(
                _(
                    "The columns “%(first)s” and “%(second)s” both give the %(field)s; keep one.",
                    first=seen[name],
                    second=label.strip(),
                    field=name,
                )
            )
        seen[name] = label.strip()
        mapping[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise file_error(
            _(
                "The header row needs the columns %(columns)s (accepted names: %(aliases)s).",
                columns=", ".join(f"“{m}”" for m in missing),
                aliases="; ".join(f"{m}: {', '.join(HEADER_ALIASES[m])}" for m in missing),
            )
        )
    return mapping, ignored


@dataclass(frozen=True)
class ParsedRow:
    line: int
    cells: list[str]
    values: dict[str, str]  # lead field → cell

    def details(self) -> LeadDetails:
        """The row as the service's command (a column the file lacks is left blank)."""
        return LeadDetails.from_text(self.values)


def parse(data: bytes) -> tuple[list[str], dict[int, str], list[str], list[ParsedRow]]:
    """Read and check the whole file before anything is saved: (header, column map, ignored, rows).

    Blank lines are skipped. A row with more cells than the header is kept and rejected
    later with a message (the cells would otherwise be silently dropped).
    """

    def check(header: list[str]) -> tuple[dict[int, str], list[str]]:
        if not any(cell.strip() for cell in header):
            raise file_error(_("The file has no header row. The first line must name the columns: name, email, ..."))
        return map_header(header)

    header, (mapping, ignored), records = read_records(data, check)
    rows = [
        ParsedRow(line=line, cells=cells, values={name: cells[i] for i, name in mapping.items() if i < len(cells)})
        for line, cells in records
    ]
    return header, mapping, ignored, rows


def _row_errors(row: ParsedRow, header: list[str], mapping: dict[int, str], exc: ValidationError) -> dict[str, str]:
    """The service's field errors labelled with the file's own column names."""
    label = {name: header[i] for i, name in mapping.items()}
    label["phone_e164"] = label.get("phone", "phone")
    return {label.get(key, key): message for key, message in exc.field_errors.items()} or {"row": exc.message}


def import_csv(session: Session, business: Business, data: bytes, *, actor: User | None, now: datetime) -> ImportReport:
    """Import a CSV file of leads into ``business``: good rows are created or update the lead with
    their email, bad rows are reported. Commits once. A file-level problem (size, encoding, header,
    too many rows) raises ValidationError and imports nothing."""
    header, mapping, ignored, rows = parse(data)
    report = ImportReport(header=header, ignored_columns=ignored)
    cleaned: list[tuple[LeadDetails, LeadValues]] = []
    for row in rows:
        if len(row.cells) > len(header):
            message = _(
                "This row has %(cells)d cells but the header has %(columns)d; check the delimiters.",
                cells=len(row.cells),
                columns=len(header),
            )
            report.errors.append(RowError(row.line, row.cells, {"row": message}))
            continue
        details = row.details()
        try:
            cleaned.append((details, clean_lead_details(details)))
        except ValidationError as exc:
            report.errors.append(RowError(row.line, row.cells, _row_errors(row, header, mapping, exc)))

    # One query for the leads the file already names; then rows apply in file order, so a
    # later row with the same email updates what an earlier one created.
    emails = {str(values["email"]) for _details, values in cleaned}
    known: dict[str, Lead] = {}
    created: list[Lead] = []
    for chunk in _chunks(sorted(emails), 500):
        stmt = select(Lead).where(Lead.business_id == business.id, Lead.email.in_(chunk))
        known.update({lead.email: lead for lead in session.scalars(stmt)})
    for details, values in cleaned:
        lead = known.get(str(values["email"]))
        if lead is not None:
            merge_into(lead, details, values, now)
            report.updated += 1
            continue
        if not values.get("source"):
            values["source"] = DEFAULT_SOURCE
        lead = new_lead(business.id, values, actor=actor, now=now)
        session.add(lead)
        created.append(lead)
        known[lead.email] = lead
        report.created += 1
    report.errors.sort(key=lambda e: e.line)
    if created:
        session.flush()  # the new leads' ids, for their events' data
        for lead in created:
            emit(session, business.id, "lead.created", lead, now=now)
    try:
        session.commit()
    except IntegrityError:
        # Another import or booking added one of these emails meanwhile: nothing was saved.
        session.rollback()
        raise Conflict(
            _("Some of these leads were added by someone else while the file was imported; import it again."),
            code="import_conflict",
        ) from None
    return report


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def report_summary(report: ImportReport) -> Mapping[str, int]:
    """The counts of a report, for logs and the API."""
    return {"rows": report.rows, "created": report.created, "updated": report.updated, "rejected": len(report.errors)}
