"""After an outcome is recorded: the business confirms or disputes it, the deadline confirms it,
an admin resolves a dispute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from closerhub import events
from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.businesses.service import clean_text
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import Money
from closerhub.outcomes.emails import notify
from closerhub.outcomes.events import CommissionOwed, CommissionRestated, CommissionReversed
from closerhub.outcomes.instalments import set_plan
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus
from closerhub.outcomes.service import (
    _ALREADY,
    _NOT_DISPUTED,
    _ONLY_BUSINESS,
    NOTE_MAX,
    _audit,
    _keep_revision,
    _set_value,
    _state,
    find_outcome,
)
from closerhub.webhooks.service import emit


def _as_business(session: Session, actor: User, outcome_id: int, action: str) -> Outcome:
    outcome = find_outcome(session, outcome_id, actor)
    if actor.business_id is None or actor.business_id != outcome.business_id:
        raise PermissionDenied(_(_ONLY_BUSINESS[action]))
    if outcome.status != OutcomeStatus.RECORDED:
        raise Conflict(_(_ALREADY[outcome.status]), code="illegal_transition")
    return outcome


def _settle(session: Session, outcome: Outcome, now: datetime) -> None:
    # The one place an outcome becomes owed: bill the business. The clawback hold starts when the
    # charge succeeds (Stripe) or an admin marks the bank transfer paid (manual mode), not now.
    # In Stripe mode payments' handler commits the confirmation with the charge row before calling Stripe.
    if outcome.owes_commission:
        events.publish(session, CommissionOwed(outcome, now))


def confirm(session: Session, actor: User, outcome_id: int, *, now: datetime) -> Outcome:
    """A member of the business confirms the outcome (and a won deal's value); it is locked from now on."""
    outcome = _as_business(session, actor, outcome_id, "confirm")
    before = _state(outcome)
    outcome.status = OutcomeStatus.CONFIRMED
    outcome.confirmed_at = now
    outcome.confirmed_by_id = actor.id
    outcome.updated_at = now
    _settle(session, outcome, now)
    _audit(session, actor, outcome, "confirmed", before, now=now)
    notify(session, outcome, "outcome_confirmed", actor, now=now)
    session.commit()
    return outcome


def dispute(session: Session, actor: User, outcome_id: int, reason: str, *, now: datetime) -> Outcome:
    """A member of the business contests the outcome, with a reason, before the confirmation deadline."""
    outcome = _as_business(session, actor, outcome_id, "dispute")
    if now >= outcome.confirm_deadline:
        raise Conflict(
            _("The confirmation window has closed: the outcome counts as confirmed."), code="confirm_window_closed"
        )
    text = clean_text(reason, "reason", NOTE_MAX, multiline=True)
    if not text:
        raise ValidationError(
            _("Say why you dispute this outcome."), field_errors={"reason": _("A reason is required.")}
        )
    before = _state(outcome)
    outcome.status = OutcomeStatus.DISPUTED
    outcome.disputed_at = now
    outcome.disputed_by_id = actor.id
    outcome.dispute_reason = text
    outcome.updated_at = now
    _audit(session, actor, outcome, "disputed", before, now=now)
    notify(session, outcome, "outcome_disputed", actor, now=now)
    session.commit()
    return outcome


def auto_confirm_due(session: Session, now: datetime) -> int:
    """Confirm every outcome whose confirmation deadline passed in silence (the worker's job).

    Each row is claimed with a conditional UPDATE (``status = 'recorded'``), so two workers
    or a second run confirm it once. Commits once; returns how many were confirmed.
    """
    due = list(
        session.scalars(
            select(Outcome.id).where(Outcome.status == OutcomeStatus.RECORDED, Outcome.confirm_deadline <= now)
        )
    )
    confirmed = 0
    for outcome_id in due:
        claimed = session.execute(
            update(Outcome)
            .where(Outcome.id == outcome_id, Outcome.status == OutcomeStatus.RECORDED)
            .values(status=OutcomeStatus.CONFIRMED, confirmed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        outcome = session.get(Outcome, outcome_id)
        assert outcome is not None
        session.refresh(outcome)
        before = {**_state(outcome), "status": OutcomeStatus.RECORDED}  # the UPDATE above already moved it
        _settle(session, outcome, now)
        _audit(session, None, outcome, "auto_confirmed", before, now=now)
        notify(session, outcome, "outcome_confirmed", None, automatic=True, now=now)
        confirmed += 1
    session.commit()
    return confirmed


def resolve_dispute(
    session: Session,
    actor: User,
    outcome_id: int,
    *,
    note: str,
    void: bool = False,
    deal_value: Money | None = None,
    now: datetime,
) -> Outcome:
    """An admin settles a dispute: confirm it as is, adjust a won deal's value, or void it; a note is required.

    Adjusting reverses the commission and earns the new one; voiding reverses it. Either
    way the previous version is kept in the revisions, and everyone is emailed.
    """
    outcome = find_outcome(session, outcome_id, actor)
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can resolve a dispute."))
    if outcome.status != OutcomeStatus.DISPUTED:
        raise Conflict(_(_NOT_DISPUTED[outcome.status]), code="illegal_transition")
    errors: dict[str, str] = {}
    text = ""
    try:
        text = clean_text(note, "note", NOTE_MAX, multiline=True)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if not text and "note" not in errors:
        errors["note"] = _("Write a note: the closer and the business read it.")
    if void and deal_value is not None:
        errors["deal_value"] = _("Either void the outcome or adjust its value, not both.")
    elif deal_value is not None:
        if outcome.result != OutcomeResult.WON:
            errors["deal_value"] = _("Only a won deal has a value to adjust.")
        elif deal_value.currency != outcome.deal_currency:
            errors["deal_value"] = _(
                "Give the value in the deal's currency, %(currency)s.", currency=outcome.deal_currency
            )
        elif not deal_value.is_positive():
            errors["deal_value"] = _("A won deal's value must be more than zero; void the outcome instead.")
        elif deal_value.amount == outcome.deal_amount:
            errors["deal_value"] = _("That is the recorded value; confirm the outcome instead.")
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    before = _state(outcome)
    if void:
        _keep_revision(session, outcome, "voided", actor, now, text)
        outcome.status = OutcomeStatus.VOIDED
        events.publish(session, CommissionReversed(outcome, now, "voided"))
        action = "voided"
    elif deal_value is not None:
        _keep_revision(session, outcome, "adjusted", actor, now, text)
        assert outcome.rate_bps is not None
        _set_value(outcome, deal_value, outcome.rate_bps)
        set_plan(session, outcome, None, now)  # the plan no longer adds up: one instalment of the new value
        outcome.status = OutcomeStatus.RESOLVED
        events.publish(session, CommissionRestated(outcome, now, "adjusted"))
        action = "adjusted"
    else:
        _keep_revision(session, outcome, "confirmed_by_admin", actor, now, text)
        outcome.status = OutcomeStatus.RESOLVED
        action = "confirmed"
    outcome.resolved_at = now
    outcome.resolved_by_id = actor.id
    outcome.resolution_note = text
    outcome.updated_at = now
    if outcome.status == OutcomeStatus.RESOLVED:
        _settle(session, outcome, now)
    audit(
        session,
        actor=actor,
        action="outcome.resolved",
        obj=outcome,
        before=before,
        after={**_state(outcome), "decision": action, "note": text},
        now=now,
    )
    emit(session, outcome.business_id, "outcome.resolved", outcome, now=now)
    notify(session, outcome, "outcome_resolved", actor, action=action, now=now)
    session.commit()
    return outcome
