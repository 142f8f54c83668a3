"""What a charge's status is called, and the emails that tell a business what happened to its charge."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from sqlalchemy.orm import Session

from closerhub.businesses.models import Business
from closerhub.core.i18n import N_, _
from closerhub.notifications.service import public_url, queue_email
from closerhub.payments.charges.models import Charge, ChargeStatus

# ---------------------------------------------------------------------------
# Emails
# ---------------------------------------------------------------------------


#: What a charge's status is called where people read it (translated where shown, with ``_()``).
STATUS_LABELS = {
    ChargeStatus.PENDING: N_("Pending"),
    ChargeStatus.PROCESSING: N_("Processing"),
    ChargeStatus.SUCCEEDED: N_("Paid"),
    ChargeStatus.REQUIRES_ACTION: N_("Action needed"),
    ChargeStatus.FAILED: N_("Failed"),
    ChargeStatus.REFUNDED: N_("Refunded"),
    ChargeStatus.PARTIALLY_REFUNDED: N_("Partially refunded"),
    ChargeStatus.DISPUTED: N_("Disputed"),
    ChargeStatus.MANUAL_DUE: N_("Due (bank transfer)"),
    ChargeStatus.MANUAL_PAID: N_("Paid (bank transfer)"),
    ChargeStatus.CANCELLED: N_("Cancelled, nothing due"),
}


def status_label(status: ChargeStatus) -> str:
    """``ChargeStatus.MANUAL_DUE`` → "Due (bank transfer)", in the reader's language."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status.value


def _in_business_language(session: Session, charge: Charge, text: str) -> str:
    business = session.get(Business, charge.business_id)
    owner = business.owner if business is not None else None
    with force_locale(owner.language if owner is not None else "en"):
        return _(text)


def _notify(session: Session, charge: Charge, kind: str, *, now: datetime) -> None:
    """Email every active member of the business: what happened to the charge and what to do."""
    business = session.get(Business, charge.business_id)
    assert business is not None
    outcome = charge.outcome
    for member in business.members:
        user = member.user
        if not user.is_active:
            continue
        queue_email(
            session,
            to=user.email,
            template="charge_notice",
            language=user.language,
            context={
                "kind": kind,
                "charge": charge,
                "outcome": outcome,
                "appointment": outcome.appointment,
                "business": business,
                "recipient": user,
                "fix_url": public_url("billing.show_billing"),
                "charges_url": public_url("charges.list_charges"),
                "retries_left": charge.next_attempt_at is not None,
            },
            now=now,
        )
