"""A closer's payout details for manual mode: validate, seal, mask, audit, tell the closer.

Four schemes: an IBAN (+ BIC) for IBAN countries (SEPA and others), US (ABA routing number +
account number), UK (sort code + account number) and "other" (holder, bank name, account
number, SWIFT/BIC). IBANs and BICs are checked with ``schwifty``; a routing number by its ABA
checksum. The clear details are sealed (``secrets_box.seal``); only the masked ``display`` is
ever shown, audited or emailed. Every change is audited (without the secret values) and
emailed to the closer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel import Locale
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.core.errors import PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.text import clean_text
from closerhub.notifications.service import public_url, queue_email
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.details_models import PayoutDetails, Scheme
from closerhub.secrets_box import SecretUnreadable, mask, seal, unseal

HOLDER_MAX = 140  # SEPA's name length
BANK_NAME_MAX = 140
FIELDS = ("scheme", "holder", "iban", "bic", "routing_number", "account_number", "sort_code", "bank_name", "country")


def _compact(value: str | None) -> str:
    """Spaces and dashes people type inside numbers removed, upper-cased."""
    return re.sub(r"[\s\-.]", "", value).upper() if value else ""


def aba_checksum_ok(routing: str) -> bool:
    """The ABA routing number check: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if not re.fullmatch(r"[0-9]{9}", routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def _bic(raw: str | None, errors: dict[str, str], *, required: bool) -> str:
    text = _compact(raw)
    if not text:
        if required:
            errors["bic"] = _("Enter the bank's BIC (SWIFT code).")
        return ""
    try:
        return str(BIC(text))
    except SchwiftyException:
        errors["bic"] = _("This is not a valid BIC (SWIFT code): 8 or 11 letters and digits, such as DEUTDEFF.")
        return ""


def _iban(data: BankDetails, errors: dict[str, str]) -> dict[str, str]:
    text = _compact(data.iban)
    if not text:
        errors["iban"] = _("Enter your IBAN.")
        return {}
    try:
        iban = IBAN(text)
    except SchwiftyException:
        errors["iban"] = _("This is not a valid IBAN: check the country code, the length and every digit.")
        return {}
    bic = _bic(data.bic, errors, required=False)
    if not bic and "bic" not in errors:
        known = iban.bic  # schwifty knows the BIC of many banks from the IBAN's bank code
        if known is None:
            errors["bic"] = _("Enter the bank's BIC (SWIFT code).")
        bic = str(known) if known is not None else ""
    return {"iban": iban.compact, "bic": bic, "country": iban.country_code, "sepa": "1" if iban.in_sepa_zone else ""}


def _us(data: BankDetails, errors: dict[str, str]) -> dict[str, str]:
    routing = _compact(data.routing_number)
    account = _compact(data.account_number)
    if not aba_checksum_ok(routing):
        errors["routing_number"] = _("This is not a valid ABA routing number (9 digits with a check digit).")
    if not re.fullmatch(r"[0-9]{4,17}", account):
        errors["account_number"] = _("A US account number has 4 to 17 digits.")
    return {"routing_number": routing, "account_number": account, "country": "US"}


def _uk(data: BankDetails, errors: dict[str, str]) -> dict[str, str]:
    sort_code = _compact(data.sort_code)
    account = _compact(data.account_number)
    if not re.fullmatch(r"[0-9]{6}", sort_code):
        errors["sort_code"] = _("A sort code has 6 digits, such as 12-34-56.")
    if not re.fullmatch(r"[0-9]{8}", account):
        errors["account_number"] = _("A UK account number has 8 digits.")
    return {"sort_code": sort_code, "account_number": account, "country": "GB"}


def bank_countries() -> frozenset[str]:
    """The country codes the "other" scheme accepts: every two-letter territory CLDR names."""
    return frozenset(code for code in map(str, Locale("en").territories) if re.fullmatch(r"[A-Z]{2}", code))


def _other(data: BankDetails, errors: dict[str, str]) -> dict[str, str]:
    account = _compact(data.account_number)
    if not re.fullmatch(r"[0-9A-Z]{1,34}", account):
        errors["account_number"] = _("Enter the account number: up to 34 letters and digits.")
    country = _compact(data.country)
    if country not in bank_countries():
        errors["country"] = _("Choose the country of the bank account.")
    try:
        bank_name = clean_text(data.bank_name or "", "bank_name", BANK_NAME_MAX, required=True)
    except ValidationError as exc:
        errors.update(exc.field_errors or {"bank_name": exc.message})
        bank_name = ""
    bic = _bic(data.bic, errors, required=True)
    return {"account_number": account, "bank_name": bank_name, "bic": bic, "country": country}


_SCHEMES = {Scheme.IBAN: _iban, Scheme.US: _us, Scheme.UK: _uk, Scheme.OTHER: _other}


def validate(data: BankDetails) -> tuple[Scheme, dict[str, str]]:
    """The cleaned details of one scheme, or a ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    try:
        scheme = Scheme(data.scheme)
    except ValueError:
        message = _("Choose how you want to be paid.")
        raise ValidationError(message, field_errors={"scheme": message}) from None
    try:
        holder = clean_text(data.holder, "holder", HOLDER_MAX, required=True)
    except ValidationError as exc:
        errors.update(exc.field_errors or {"holder": exc.message})
        holder = ""
    clean = {"holder": holder, **_SCHEMES[scheme](data, errors)}
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)
    return scheme, clean


def masked(scheme: Scheme, clean: Mapping[str, str]) -> dict[str, str]:
    """What may be shown of the details: the holder, the bank's identifier, the account's last four."""
    account = clean.get("iban") or clean.get("account_number") or ""
    bank = {
        Scheme.IBAN: clean.get("bic", ""),
        Scheme.US: mask(clean.get("routing_number", "")),
        Scheme.UK: mask(clean.get("sort_code", ""), 2),
        Scheme.OTHER: " ".join(x for x in (clean.get("bank_name", ""), clean.get("bic", "")) if x),
    }[scheme]
    return {"holder": clean.get("holder", ""), "account": mask(account), "bank": bank}


def details_of(session: Session, closer_id: int) -> PayoutDetails | None:
    """The closer's payout details row (sealed), or None."""
    return session.scalar(select(PayoutDetails).where(PayoutDetails.closer_id == closer_id))


def details_by_closer(session: Session, closer_ids: list[int]) -> dict[int, PayoutDetails]:
    """Payout details of several closers in one query (bank files)."""
    if not closer_ids:
        return {}
    rows = session.scalars(select(PayoutDetails).where(PayoutDetails.closer_id.in_(closer_ids)))
    return {row.closer_id: row for row in rows}


def usable_closer_ids(session: Session, closer_ids: list[int]) -> set[int]:
    """Which of these closers have payout details a bank file can use (present and unsealable), in one query.

    The rule of manual payouts: a run reserves money only for them, and only their payouts can be marked paid.
    """
    usable = set()
    for closer_id, row in details_by_closer(session, closer_ids).items():
        try:
            clear(row)
        except SecretUnreadable:  # sealed with a key that is no longer configured
            continue
        usable.add(closer_id)
    return usable


def clear(row: PayoutDetails) -> dict[str, str]:
    """The clear details (bank files only: never shown on a page, never logged)."""
    return dict(json.loads(unseal(row.sealed)))


def _same(row: PayoutDetails, clean: Mapping[str, str]) -> bool:
    try:
        return clear(row) == clean
    except SecretUnreadable:  # sealed with a key that is gone: the new details replace them
        return False


def public_view(row: PayoutDetails) -> dict[str, Any]:
    """The masked form for pages and the API."""
    return {"scheme": row.scheme.value, "country": row.country, **row.display, "updated_at": row.updated_at}


def save(session: Session, closer: User, data: BankDetails, now: datetime) -> PayoutDetails:
    """Validate, seal and store the closer's payout details; audit the change and email the closer. Commits.

    Saving the same details again changes nothing (no audit row, no email).
    """
    if not closer.is_closer:
        raise PermissionDenied(_("Only closers have payout details."))
    scheme, clean = validate(data)
    row = details_of(session, closer.id)
    if row is not None and row.scheme is scheme and _same(row, clean):
        return row
    before = None
    if row is None:
        row = PayoutDetails(closer_id=closer.id, created_at=now)
        session.add(row)
    else:
        before = {"scheme": row.scheme.value, "country": row.country, **row.display}
    row.scheme = scheme
    row.country = clean["country"]
    row.sealed = seal(json.dumps(clean, sort_keys=True))
    row.display = masked(scheme, clean)
    row.updated_at = now
    after = {"scheme": scheme.value, "country": row.country, **row.display}
    audit(session, actor=closer, action="payout_details.changed", obj=row, before=before, after=after, now=now)
    queue_email(
        session,
        to=closer.email,
        template="payout_details_changed",
        language=closer.language,
        context={"recipient": closer, "details": after, "at": now, "url": public_url("payouts_setup.show")},
        now=now,
    )
    session.commit()
    return row
