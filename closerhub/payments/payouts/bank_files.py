"""The admin's bank files of a manual payout run: a CSV with every payee's details, and a SEPA
credit transfer file (pain.001.001.03, made and schema-checked by ``sepaxml``) for EUR payouts
to SEPA IBANs.

Both are built from the run's manual payouts and the closers' sealed payout details (read in
one query and unsealed here only). A closer without usable details is listed as blocked
(in the CSV with the reason, on the run page), never silently dropped. Every download is
audited (format, payout ids, totals; never the details). The debtor account of the SEPA file
comes from the configuration: ``PLATFORM_IBAN``, ``PLATFORM_BIC``, ``PLATFORM_ACCOUNT_NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.core.csv_safe import csv_text
from closerhub.core.errors import Conflict, PermissionDenied
from closerhub.core.i18n import N_, _
from closerhub.core.money import Money
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.batches import get_run
from closerhub.payments.payouts.details_models import Scheme
from closerhub.payments.payouts.models import Payout, PayoutRun, PayoutStatus
from closerhub.secrets_box import SecretUnreadable

MANUAL = (PayoutStatus.MANUAL_PENDING, PayoutStatus.MANUAL_PAID)
NO_DETAILS = N_("No payout details")
UNREADABLE = N_("Payout details cannot be decrypted (encryption key missing)")

CSV_HEADER = [
    "payout_id",
    "closer_name",
    "closer_email",
    "amount",
    "currency",
    "amount_minor_units",
    "status",
    "scheme",
    "account_holder",
    "iban",
    "bic",
    "routing_number",
    "sort_code",
    "account_number",
    "bank_name",
    "country",
    "blocked",
]


@dataclass
class BankLine:
    """One payout of the batch with its payee's clear details, or the reason it cannot be paid."""

    payout: Payout
    scheme: Scheme | None = None
    details: dict[str, str] = field(default_factory=dict)
    blocked: str | None = None  # untranslated reason (N_)

    @property
    def in_sepa(self) -> bool:
        """Payable by the SEPA file: EUR to a SEPA-zone IBAN."""
        return (
            self.blocked is None
            and self.scheme is Scheme.IBAN
            and self.payout.currency == "EUR"
            and bool(self.details.get("sepa"))
        )


def batch_lines(session: Session, run: PayoutRun) -> list[BankLine]:
    """The run's manual payouts with their payees' details (two queries whatever the run's size)."""
    # The payees come with their payouts (one more query), so a page or file costs the same for any size.
    payouts = list(
        session.scalars(
            select(Payout)
            .where(Payout.run_id == run.id, Payout.status.in_(MANUAL))
            .options(selectinload(Payout.closer))
            .order_by(Payout.id)
        )
    )
    rows = payout_details.details_by_closer(session, sorted({p.closer_id for p in payouts}))
    lines = []
    for p in payouts:
        row = rows.get(p.closer_id)
        if row is None:
            lines.append(BankLine(p, blocked=NO_DETAILS))
            continue
        try:
            lines.append(BankLine(p, row.scheme, payout_details.clear(row)))
        except SecretUnreadable:
            lines.append(BankLine(p, row.scheme, blocked=UNREADABLE))
    return lines


def blocked_summary(session: Session, run: PayoutRun) -> list[tuple[Payout, str]]:
    """Payouts of the run that cannot be paid by bank yet, with the reason (the run page lists them)."""
    return [(line.payout, _(line.blocked)) for line in batch_lines(session, run) if line.blocked]


def _audit_download(
    session: Session, actor: User, run: PayoutRun, kind: str, lines: list[BankLine], *, now: datetime
) -> None:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.payout.currency] = totals.get(line.payout.currency, 0) + line.payout.amount
    record(
        session,
        actor=actor,
        action="payouts.bank_file_downloaded",
        obj=run,
        after={
            "format": kind,
            "payout_ids": [line.payout.id for line in lines],
            "blocked_payout_ids": [line.payout.id for line in lines if line.blocked],
            "totals": totals,
        },
        now=now,
    )
    session.commit()


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins download bank files."))


def bank_csv(session: Session, actor: User, run_id: int, *, now: datetime) -> str:
    """The run's manual batch as CSV, one row per payout with the payee's bank details. Audited; commits."""
    _check_admin(actor)
    run = get_run(session, run_id)
    lines = batch_lines(session, run)
    rows: list[list[Any]] = []
    for line in lines:
        p, d = line.payout, line.details
        rows.append(
            [
                p.id,
                p.closer.name,
                p.closer.email,
                f"{Money(p.amount, p.currency).to_decimal()}",
                p.currency,
                p.amount,
                p.status.value,
                line.scheme.value if line.scheme else "",
                d.get("holder", ""),
                d.get("iban", ""),
                d.get("bic", ""),
                d.get("routing_number", ""),
                d.get("sort_code", ""),
                d.get("account_number", ""),
                d.get("bank_name", ""),
                d.get("country", ""),
                _(line.blocked) if line.blocked else "",
            ]
        )
    body = csv_text([CSV_HEADER, *rows])
    _audit_download(session, actor, run, "csv", lines, now=now)
    return body


def debtor_account() -> dict[str, str]:
    """The platform's account the SEPA file pays from (configuration), or a Conflict saying what is missing."""
    cfg = current_app.config
    name = str(cfg.get("PLATFORM_ACCOUNT_NAME") or "").strip()
    iban_text = str(cfg.get("PLATFORM_IBAN") or "").strip()
    bic_text = str(cfg.get("PLATFORM_BIC") or "").strip()
    missing = [
        k
        for k, v in (("PLATFORM_ACCOUNT_NAME", name), ("PLATFORM_IBAN", iban_text), ("PLATFORM_BIC", bic_text))
        if not v
    ]
    if missing:
        raise Conflict(
            _(
                "The SEPA file needs the platform's bank account: set %(names)s in the environment.",
                names=", ".join(missing),
            ),
            code="platform_account_missing",
        )
    try:
        iban, bic = IBAN(iban_text), BIC(bic_text)
    except SchwiftyException as exc:
        raise Conflict(
            _("PLATFORM_IBAN or PLATFORM_BIC is not valid: fix the environment setting."),
            code="platform_account_invalid",
        ) from exc
    return {"name": name[:70], "IBAN": iban.compact, "BIC": str(bic), "batch": True, "currency": "EUR"}  # type: ignore[dict-item]


def execution_date(now: datetime) -> date:
    """The next bank business day after ``now`` (Saturday and Sunday skipped)."""
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def sepa_xml(session: Session, actor: User, run_id: int, now: datetime) -> bytes:
    """A pain.001.001.03 credit transfer file of the run's EUR payouts to SEPA IBANs. Audited; commits.

    Validated against sepaxml's copy of the ISO 20022 schema before it is returned.
    """
    _check_admin(actor)
    run = get_run(session, run_id)
    debtor = debtor_account()
    lines = [line for line in batch_lines(session, run) if line.in_sepa]
    if not lines:
        raise Conflict(_("This batch has no EUR payout to a SEPA IBAN."), code="nothing_for_sepa")
    transfer = SepaTransfer(debtor, schema="pain.001.001.03", clean=True)
    when = execution_date(now)
    for line in lines:
        p = line.payout
        transfer.add_payment(
            {
                "name": line.details["holder"][:70],
                "IBAN": line.details["iban"],
                "BIC": line.details["bic"],
                "amount": p.amount,  # sepaxml takes integer cents
                "execution_date": when,
                "description": f"CloserHub payout {p.id}",
                "endtoend_id": f"CLOSERHUB-PAYOUT-{p.id}",
            }
        )
    body: bytes = transfer.export(validate=True)
    _audit_download(session, actor, run, "sepa", lines, now=now)
    return body
