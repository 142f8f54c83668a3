"""CSV import of collections: each row says an instalment was paid; matched rows are marked collected.

The file is read like the leads import (``core.csv_import``: UTF-8 with or without a
BOM, comma or semicolon, at most 2 MB and 5,000 rows). Columns, matched case-insensitively:

- ``outcome_id`` (or ``outcome``) **or** ``email`` (the lead's email): which won deal;
- ``amount``: the instalment's amount, as the business writes it (``1,250.00``, or ``1 250,00`` in
  French), in the deal's currency;
- ``collected_on`` (or ``date``, ``paid on``): ``YYYY-MM-DD``, not in the future.

A row names the earliest due (or missed) instalment of that amount among the business's settled
won deals of that outcome or lead. Each matched row is collected through
``instalments.collect`` (the same rules, accrual and charge as the page; each commits); a row
that matches nothing, or matches an instalment an earlier row already took, is reported with its
line and why. A file-level problem (encoding, header, size) raises and collects nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.core.csv_import import RowError, file_error, normalise_header, read_records, rejected_csv
from closerhub.core.errors import DomainError, PermissionDenied
from closerhub.core.i18n import _
from closerhub.core.money import parse_money
from closerhub.leads.models import Lead
from closerhub.outcomes import instalments
from closerhub.outcomes.models import SETTLED_STATUSES, Outcome, OutcomeResult
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "outcome_id": ("outcome id", "outcome", "outcome_id"),
    "email": ("email", "lead email", "e mail", "customer email"),
    "amount": ("amount", "amount paid", "paid", "montant"),
    "collected_on": ("collected on", "date", "paid on", "collected"),
}
_ALIAS_TO_FIELD = {normalise_header(a): name for name, aliases in HEADER_ALIASES.items() for a in aliases}


@dataclass
class CollectionReport:
    """What an import did: instalments collected (their ids), rows rejected with why."""

    header: list[str] = field(default_factory=list)
    collected: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.collected) + len(self.errors)

    def rejected_csv(self) -> str:
        return rejected_csv(self.header, self.errors)


def _header(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, label in enumerate(cells):
        name = _ALIAS_TO_FIELD.get(normalise_header(label))
        if name is not None and name not in columns:
            columns[name] = index
    if "amount" not in columns or "collected_on" not in columns or not ({"outcome_id", "email"} & set(columns)):
        raise file_error(_("The header row needs the columns amount, collected_on and either outcome_id or email."))
    return columns


def _candidates(session: Session, business_id: int, outcome_id: str, email: str) -> list[Instalment]:
    """Due or missed instalments of the business's settled won deals of that outcome or lead, earliest first."""
    stmt = (
        select(Instalment)
        .join(Outcome, Outcome.id == Instalment.outcome_id)
        .where(
            Outcome.business_id == business_id,
            Outcome.result == OutcomeResult.WON,
            Outcome.status.in_(SETTLED_STATUSES),
            Instalment.status.in_((InstalmentStatus.DUE, InstalmentStatus.MISSED)),
        )
    )
    if outcome_id:
        if not outcome_id.isdigit():
            return []
        stmt = stmt.where(Outcome.id == int(outcome_id))
    else:
        stmt = (
            stmt.join(Appointment, Appointment.id == Outcome.appointment_id)
            .join(Lead, Lead.id == Appointment.lead_id)
            .where(Lead.email == email.strip().lower())
        )
    return list(session.scalars(stmt.order_by(Instalment.due_on, Instalment.id)))


def import_collections(
    session: Session, actor: User, data: bytes, *, locale: str = "en", now: datetime
) -> CollectionReport:
    """Mark collected the instalments a CSV file names; report the rows that match none."""
    if actor.business_id is None:
        raise PermissionDenied(_("Only the business records what it collected."))
    header, columns, rows = read_records(data, _header)
    report = CollectionReport(header=header)
    for line, cells in rows:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        errors = _collect_row(session, actor, cell, report, locale, now)
        if errors:
            report.errors.append(RowError(line, cells, errors))
    return report


def _collect_row(
    session: Session,
    actor: User,
    cell: Callable[[str], str],
    report: CollectionReport,
    locale: str,
    now: datetime,
) -> dict[str, str]:
    """Collect the instalment one row names; its errors by column (empty when collected)."""
    try:
        day = date.fromisoformat(cell("collected_on"))
    except ValueError:
        return {"collected_on": _("Give the date as YYYY-MM-DD.")}
    if not cell("outcome_id") and not cell("email"):
        return {"outcome_id": _("Give the outcome id or the lead's email.")}
    assert actor.business_id is not None  # import_collections refuses anyone else
    candidates = _candidates(session, actor.business_id, cell("outcome_id"), cell("email"))
    if not candidates:
        return {"row": _("No confirmed won deal of yours with an instalment still to collect matches this row.")}
    try:
        amount = parse_money(cell("amount"), candidates[0].currency, locale, field="amount")
    except DomainError as exc:
        return {"amount": exc.message}
    match = next((i for i in candidates if i.amount == amount.amount and i.currency == amount.currency), None)
    if match is None:
        return {"amount": _("No instalment still to collect of this deal is of this amount.")}
    try:
        instalments.collect(session, actor, match.id, day, now=now)
    except DomainError as exc:
        session.rollback()
        return {key: message for key, message in exc.field_errors.items()} or {"row": exc.message}
    report.collected.append(match.id)
    return {}
