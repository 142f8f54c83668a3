"""Closer onboarding to Stripe Connect (Express) and the state of their payout account.

- ``start_onboarding``: create the Express account once, then a fresh Account Link.
- ``refresh_account``: read the account's live state (the closer came back from Stripe).
- ``account.updated`` webhook: sync the state, keeping only the newest by event time.
- ``can_receive_payouts``: the one check the payouts run makes before a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.core.errors import PermissionDenied
from closerhub.core.i18n import _
from closerhub.payments.stripe.gateway import Gateway
from closerhub.payments.stripe.models import ConnectAccount
from closerhub.payments.stripe.results import AccountState, GatewayNotConfigured, WebhookEvent
from closerhub.payments.stripe.webhooks import handles


def account_of(session: Session, closer_id: int) -> ConnectAccount | None:
    """The closer's Connect account row, if onboarding ever started."""
    return session.scalar(select(ConnectAccount).where(ConnectAccount.closer_id == closer_id))


def can_receive_payouts(session: Session, closer_id: int) -> bool:
    """True when Stripe says the closer's account can receive payouts (last known state)."""
    account = account_of(session, closer_id)
    return bool(account and account.stripe_account_id and account.payouts_enabled)


def idempotency_key_for_account(row: ConnectAccount) -> str:
    return f"closerhub-connect-account-{row.id}"


# The fields whose change is audited: what decides whether the closer can be paid.
_AUDITED = ("charges_enabled", "payouts_enabled", "details_submitted", "disabled_reason")


def _audited_state(row: ConnectAccount) -> dict[str, object]:
    return {name: getattr(row, name) for name in _AUDITED}


def _audit_change(
    session: Session,
    row: ConnectAccount,
    before: dict[str, object],
    actor: User | str,
    action: str,
    *,
    now: datetime,
) -> None:
    """An audit row when the account's payout state changed (a webhook repeating the same state writes none)."""
    after = _audited_state(row)
    if after != before or action == "payout_account.created":
        changed = [name for name in _AUDITED if before.get(name) != after[name]]
        audit(
            session,
            actor=actor,
            action=action,
            obj=row,
            before={name: before.get(name) for name in changed},
            after={"stripe_account_id": row.stripe_account_id, **{name: after[name] for name in changed}},
            now=now,
        )


def _apply(row: ConnectAccount, state: AccountState, as_of: datetime, now: datetime) -> None:
    row.charges_enabled = state.charges_enabled
    row.payouts_enabled = state.payouts_enabled
    row.details_submitted = state.details_submitted
    row.requirements_due = list(state.requirements_due)
    row.disabled_reason = state.disabled_reason
    row.updated_from_event_at = as_of
    row.updated_at = now


def start_onboarding(
    session: Session, gateway: Gateway, closer: User, *, refresh_url: str, return_url: str, now: datetime
) -> str:
    """Create the closer's Express account if needed and return a fresh onboarding link URL.

    Commits twice on purpose: the row (whose id is the Stripe idempotency key) is made
    durable BEFORE the Stripe call, so a crash between the call and our commit is repaired
    by the next attempt, which sends the same key and gets the same account back.
    """
    if not closer.is_closer:
        raise PermissionDenied(_("Only closers have a payout account."))
    if not gateway.is_configured():
        raise GatewayNotConfigured(_("Payouts are made manually on this platform; there is nothing to set up online."))
    row = account_of(session, closer.id)
    if row is None:
        row = ConnectAccount(closer_id=closer.id, requirements_due=[], created_at=now, updated_at=now)
        session.add(row)
        session.commit()
    if row.stripe_account_id is None:
        state = gateway.create_express_account(
            email=closer.email,
            country=None,  # Stripe asks the closer during onboarding
            idempotency_key=idempotency_key_for_account(row),
            metadata={"closerhub_closer_id": closer.id},
        )
        before = _audited_state(row)
        row.stripe_account_id = state.id
        _apply(row, state, now, now)
        _audit_change(session, row, before, closer, "payout_account.created", now=now)
        session.commit()
    link = gateway.create_account_link(row.stripe_account_id, refresh_url=refresh_url, return_url=return_url)
    return link.url


def refresh_account(session: Session, gateway: Gateway, closer: User, now: datetime) -> ConnectAccount | None:
    """Read the account's live state from Stripe (on return from onboarding). Commits."""
    row = account_of(session, closer.id)
    if row is None or row.stripe_account_id is None or not gateway.is_configured():
        return row
    state = gateway.retrieve_account(row.stripe_account_id)
    before = _audited_state(row)
    _apply(row, state, now, now)  # a live read describes the account as of now
    _audit_change(session, row, before, closer, "payout_account.updated", now=now)
    session.commit()
    return row


def sync_account(session: Session, state: AccountState, as_of: datetime, now: datetime) -> bool:
    """Apply a state described at ``as_of`` unless we already hold a newer one. Does not commit.

    Returns False when the account is not ours or the state is older than what we have.
    """
    row = session.scalar(select(ConnectAccount).where(ConnectAccount.stripe_account_id == state.id))
    if row is None:
        return False
    if row.updated_from_event_at is not None and as_of < row.updated_from_event_at:
        return False  # an out-of-order delivery: a newer state is already applied
    before = _audited_state(row)
    _apply(row, state, as_of, now)
    _audit_change(session, row, before, "stripe webhook", "payout_account.updated", now=now)
    return True


@handles("account.updated")
def on_account_updated(session: Session, event: WebhookEvent, now: datetime) -> None:
    """``account.updated`` carries the whole account: keep the newest by the event's time."""
    sync_account(session, AccountState.from_dict(event.data_object), event.created, now)


# ---------------------------------------------------------------------------
# Plain words for Stripe's requirement codes (translated when read, in the closer's language)
# ---------------------------------------------------------------------------

# Prefix → what the closer has to provide (first match wins; order matters).
_REQUIREMENT_WORDS: list[tuple[str, Any]] = [
    ("external_account", _l("A bank account to receive your payouts")),
    ("tos_acceptance", _l("Accept Stripe's services agreement")),
    ("individual.verification.document", _l("A photo of an identity document")),
    ("individual.verification.additional_document", _l("A proof of address document")),
    ("individual.id_number", _l("Your national ID or tax number")),
    ("individual.ssn_last_4", _l("The last 4 digits of your social security number")),
    ("individual.dob", _l("Your date of birth")),
    ("individual.address", _l("Your home address")),
    ("individual.first_name", _l("Your legal name")),
    ("individual.last_name", _l("Your legal name")),
    ("individual.email", _l("Your email address")),
    ("individual.phone", _l("Your phone number")),
    ("business_profile.url", _l("Your website, or a short description of your sales work")),
    ("business_profile.product_description", _l("Your website, or a short description of your sales work")),
    ("business_profile.mcc", _l("The category of your business")),
    ("business_profile.support_phone", _l("A phone number for your business")),
    ("business_type", _l("Whether you work as an individual or a company")),
    ("company", _l("Details about your company")),
    ("representative", _l("Details about the company's representative")),
]

_DISABLED_WORDS = {
    "requirements.past_due": _l("Stripe needs more information before it can pay you."),
    "requirements.pending_verification": _l(
        "Stripe is checking the information you gave; this usually takes minutes to days."
    ),
    "rejected.fraud": _l("Stripe has rejected this account."),
    "rejected.terms_of_service": _l("Stripe has rejected this account."),
    "rejected.listed": _l("Stripe has rejected this account."),
    "rejected.other": _l("Stripe has rejected this account."),
    "under_review": _l("Stripe is reviewing this account."),
    "listed": _l("Stripe is reviewing this account."),
    "platform_paused": _l("The platform has paused this account; contact support."),
}


def requirement_words(codes: list[str]) -> list[str]:
    """What Stripe still needs, in plain words, each once, in Stripe's order."""
    words: list[str] = []
    for code in codes:
        known = next((text for prefix, text in _REQUIREMENT_WORDS if code.startswith(prefix)), None)
        # An unknown code is made readable rather than hidden (the template escapes it).
        phrase = str(known) if known is not None else code.replace("_", " ").replace(".", " – ").capitalize()
        if phrase not in words:
            words.append(phrase)
    return words


def disabled_words(reason: str | None) -> str | None:
    """Stripe's ``disabled_reason`` in plain words (None when nothing is disabled)."""
    if not reason:
        return None
    return str(_DISABLED_WORDS.get(reason, _l("Stripe has limited this account; continue the setup to see why.")))


@dataclass(frozen=True)
class PayoutSetupStatus:
    """What the payouts setup page shows."""

    manual_mode: bool
    started: bool
    ready: bool
    details_submitted: bool
    requirements: list[str]
    disabled: str | None
    as_of: datetime | None


def setup_status(session: Session, gateway: Gateway, closer: User) -> PayoutSetupStatus:
    """The closer's payout status from our last known state (no network call)."""
    row = account_of(session, closer.id)
    started = bool(row and row.stripe_account_id)
    return PayoutSetupStatus(
        manual_mode=not gateway.is_configured(),
        started=started,
        ready=bool(started and row and row.payouts_enabled),
        details_submitted=bool(row and row.details_submitted),
        requirements=requirement_words(list(row.requirements_due or [])) if row else [],
        disabled=disabled_words(row.disabled_reason) if row else None,
        as_of=row.updated_from_event_at if row else None,
    )
