"""Outcome use cases: record, correct, confirm, dispute, resolve, and the worker's auto-confirmation.

Each function takes the session, the acting user and plain arguments, checks in this
order — visibility (404), role (403), state (409), input (422) — changes nothing on an
error, writes the ledger entries of the event in the same transaction, emails everyone
concerned, and commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub import events
from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.audit.service import record as audit
from closerhub.booking.changes.history import record_change
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core import commission as commission_core
from closerhub.core.errors import Conflict, PermissionDenied
from closerhub.core.i18n import N_, _
from closerhub.core.money import Money
from closerhub.outcomes.commands import OutcomeData
from closerhub.outcomes.emails import notify
from closerhub.outcomes.events import CommissionEarned, CommissionRestated
from closerhub.outcomes.instalments import check_plan_input, set_plan
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeRevision, OutcomeStatus
from closerhub.outcomes.settings import setting
from closerhub.outcomes.validation import CleanOutcome, clean_outcome
from closerhub.webhooks.service import emit

__all__ = [
    "OutcomeData",
    "correct_outcome",
    "find_outcome",
    "record_outcome",
]

NOTE_MAX = 2000

# Whole sentences per state, so a translator never assembles one from a status word.
_NOT_CORRECTABLE = {
    OutcomeStatus.CONFIRMED: N_("This outcome is confirmed: it can no longer be corrected."),
    OutcomeStatus.DISPUTED: N_("This outcome is disputed: it can no longer be corrected."),
    OutcomeStatus.RESOLVED: N_("This outcome is resolved: it can no longer be corrected."),
    OutcomeStatus.VOIDED: N_("This outcome is voided: it can no longer be corrected."),
}
_ALREADY = {
    OutcomeStatus.CONFIRMED: N_("This outcome is already confirmed."),
    OutcomeStatus.DISPUTED: N_("This outcome is already disputed."),
    OutcomeStatus.RESOLVED: N_("This outcome is already resolved."),
    OutcomeStatus.VOIDED: N_("This outcome is already voided."),
}
_NOT_DISPUTED = {
    OutcomeStatus.RECORDED: N_("This outcome is recorded, not disputed."),
    OutcomeStatus.CONFIRMED: N_("This outcome is confirmed, not disputed."),
    OutcomeStatus.RESOLVED: N_("This outcome is resolved, not disputed."),
    OutcomeStatus.VOIDED: N_("This outcome is voided, not disputed."),
}
_ONLY_BUSINESS = {
    "confirm": N_("Only the business can confirm this outcome."),
    "dispute": N_("Only the business can dispute this outcome."),
}


def find_appointment(session: Session, appointment_id: int, viewer: User | None) -> Appointment:
    """An appointment ``viewer`` may see; NotFound for a missing one and for anyone else's."""
    return find_visible(Appointment, appointment_id, viewer, session)


def find_outcome(session: Session, outcome_id: int, viewer: User | None) -> Outcome:
    """An outcome ``viewer`` may see; NotFound for a missing one and for anyone else's."""
    return find_visible(Outcome, outcome_id, viewer, session)


def outcome_of(session: Session, appointment_id: int) -> Outcome | None:
    """The outcome recorded for an appointment, if any."""
    return session.scalar(select(Outcome).where(Outcome.appointment_id == appointment_id))


def _apply(outcome: Outcome, clean: CleanOutcome, rate_bps: int) -> None:
    """Copy a checked report onto the outcome and take the commission snapshot (won only)."""
    outcome.result = clean.result
    outcome.lost_reason = clean.lost_reason
    outcome.lost_reason_text = clean.lost_reason_text
    outcome.objections = clean.objections
    outcome.technique = clean.technique
    outcome.buying_signals = clean.buying_signals
    outcome.next_step = clean.next_step
    outcome.next_step_at = clean.next_step_at
    outcome.notes = clean.notes
    outcome.currency_reason = clean.currency_reason
    _set_value(outcome, clean.deal_value, rate_bps)


def _set_value(outcome: Outcome, value: Money | None, rate_bps: int) -> None:
    if value is None:
        outcome.deal_amount = outcome.deal_currency = None
        outcome.rate_bps = outcome.fee_bps = outcome.commission_amount = outcome.platform_fee_amount = None
        return
    result = commission_core.compute(value, rate_bps, setting("PLATFORM_FEE_BPS"))
    outcome.deal_amount, outcome.deal_currency = value.amount, value.currency
    outcome.rate_bps, outcome.fee_bps = result.rate_bps, result.fee_bps
    outcome.commission_amount = result.commission.amount
    outcome.platform_fee_amount = result.platform_fee.amount


def _mark_appointment(
    session: Session, appointment: Appointment, result: OutcomeResult, actor: User, now: datetime
) -> None:
    """The call took place (completed) or the prospect did not come (no_show); history keeps the change."""
    status = AppointmentStatus.NO_SHOW if result == OutcomeResult.NO_SHOW else AppointmentStatus.COMPLETED
    if appointment.status == status:
        return
    appointment.status = status
    appointment.updated_at = now
    record_change(session, appointment, status.value, at=now, actor=actor, actor_label="closer")


def _state(outcome: Outcome) -> dict[str, object]:
    """What the audit trail keeps of an outcome: its state and the money it moves."""
    return {
        "status": outcome.status,
        "result": outcome.result,
        "deal_amount": outcome.deal_amount,
        "deal_currency": outcome.deal_currency,
        "commission_amount": outcome.commission_amount,
        "platform_fee_amount": outcome.platform_fee_amount,
        "charged_at": outcome.charged_at,
    }


def _audit(
    session: Session,
    actor: User | str | None,
    outcome: Outcome,
    action: str,
    before: dict[str, object] | None,
    *,
    now: datetime,
) -> None:
    """One audit row per outcome event (the ledger entries it writes ride the same transaction)."""
    audit(session, actor=actor, action=f"outcome.{action}", obj=outcome, before=before, after=_state(outcome), now=now)
    # A correction has no event type in the contract; an automatic confirmation is a confirmation.
    event = {"recorded": "recorded", "confirmed": "confirmed", "auto_confirmed": "confirmed", "disputed": "disputed"}
    if action in event:
        emit(session, outcome.business_id, f"outcome.{event[action]}", outcome, now=now)


def _keep_revision(
    session: Session, outcome: Outcome, change: str, actor: User | None, now: datetime, note: str = ""
) -> None:
    session.add(
        OutcomeRevision(
            outcome_id=outcome.id,
            revision=outcome.revision,
            data=outcome.snapshot(),
            change=change,
            changed_at=now,
            changed_by_id=actor.id if actor else None,
            note=note,
        )
    )
    outcome.revision += 1


def record_outcome(session: Session, actor: User, appointment_id: int, data: OutcomeData, *, now: datetime) -> Outcome:
    """The appointment's closer says what happened, once the call has started.

    A won deal's commission is computed now (the engagement's rate, the current platform fee)
    and enters the closer's pending balance. The appointment becomes completed (or no_show).
    """
    appointment = find_appointment(session, appointment_id, actor)
    if actor.id != appointment.closer_id:
        raise PermissionDenied(_("Only the closer of this call can record its outcome."))
    if appointment.status == AppointmentStatus.CANCELLED:
        raise Conflict(_("This call was cancelled: there is no outcome to record."), code="appointment_cancelled")
    if outcome_of(session, appointment.id) is not None:
        raise Conflict(_("An outcome is already recorded for this call; correct it instead."), code="outcome_exists")
    if now < appointment.starts_at:
        raise Conflict(_("The call has not started yet: record its outcome once it has."), code="call_not_started")
    clean = clean_outcome(data, offer_currency=appointment.offer.price_currency, now=now)
    outcome = Outcome(
        appointment_id=appointment.id,
        closer_id=appointment.closer_id,
        business_id=appointment.business_id,
        engagement_id=appointment.engagement_id,
        status=OutcomeStatus.RECORDED,
        revision=1,
        recorded_at=now,
        recorded_by_id=actor.id,
        updated_at=now,
        confirm_deadline=now + timedelta(days=setting("CONFIRM_DAYS", session)),
    )
    _apply(outcome, clean, appointment.engagement.commission_rate_bps)
    outcome.commission_basis = appointment.engagement.commission_basis
    check_plan_input(clean.deal_value if clean.result == OutcomeResult.WON else None, data.payment_plan)
    session.add(outcome)
    try:
        session.flush()  # the unique appointment_id settles two racing submissions
    except IntegrityError:
        session.rollback()
        raise Conflict(_("An outcome is already recorded for this call."), code="outcome_exists") from None
    set_plan(session, outcome, data.payment_plan, now)
    events.publish(session, CommissionEarned(outcome, now))
    _mark_appointment(session, appointment, outcome.result, actor, now)
    _audit(session, actor, outcome, "recorded", None, now=now)
    notify(session, outcome, "outcome_recorded", actor, now=now)
    session.commit()
    return outcome


def correct_outcome(session: Session, actor: User, outcome_id: int, data: OutcomeData, *, now: datetime) -> Outcome:
    """The closer corrects an outcome the business has not confirmed yet; the old version is kept.

    A changed commission is reversed and earned anew in the ledger; the business gets a
    fresh confirmation window.
    """
    outcome = find_outcome(session, outcome_id, actor)
    if actor.id != outcome.closer_id:
        raise PermissionDenied(_("Only the closer who recorded this outcome can correct it."))
    if outcome.status != OutcomeStatus.RECORDED:
        raise Conflict(_(_NOT_CORRECTABLE[outcome.status]), code="outcome_locked")
    appointment = outcome.appointment
    clean = clean_outcome(data, offer_currency=appointment.offer.price_currency, now=now)
    check_plan_input(clean.deal_value if clean.result == OutcomeResult.WON else None, data.payment_plan)
    before = (outcome.commission_amount, outcome.deal_currency)
    audit_before = _state(outcome)
    _keep_revision(session, outcome, "corrected", actor, now)
    _apply(outcome, clean, outcome.rate_bps or appointment.engagement.commission_rate_bps)
    set_plan(session, outcome, data.payment_plan, now)
    outcome.updated_at = now
    outcome.confirm_deadline = now + timedelta(days=setting("CONFIRM_DAYS", session))
    if (outcome.commission_amount, outcome.deal_currency) != before:
        events.publish(session, CommissionRestated(outcome, now, "corrected"))
    _mark_appointment(session, appointment, outcome.result, actor, now)
    _audit(session, actor, outcome, "corrected", audit_before, now=now)
    notify(session, outcome, "outcome_corrected", actor, now=now)
    session.commit()
    return outcome
