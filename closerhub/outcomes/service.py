"""Outcome use cases: record, correct, confirm, dispute, resolve, and the worker's auto-confirmation.

Each function takes the session, the acting user and plain arguments, checks in this
order — visibility (404), role (403), state (409), input (422) — changes nothing on an
error, writes the ledger entries of the event in the same transaction, emails everyone
concerned, and commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub import events
from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.audit.service import record as audit
from closerhub.booking.changes.history import record_change
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.businesses.service import clean_text
from closerhub.core import commission as commission_core
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.money import Money
from closerhub.outcomes.emails import notify
from closerhub.outcomes.events import CommissionEarned, CommissionOwed, CommissionRestated, CommissionReversed
from closerhub.outcomes.instalments import check_plan_input, set_plan
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeRevision, OutcomeStatus
from closerhub.outcomes.settings import setting
from closerhub.outcomes.validation import CleanOutcome, OutcomeData, clean_outcome
from closerhub.webhooks.service import emit

__all__ = [
    "OutcomeData",
    "auto_confirm_due",
    "confirm",
    "correct_outcome",
    "dispute",
    "find_outcome",
    "record_outcome",
    "resolve_dispute",
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


def find_appointment(session: Session, appointment_id: object, viewer: User | None) -> Appointment:
    """An appointment ``viewer`` may see; NotFound for a missing one and for anyone else's."""
    return find_visible(Appointment, appointment_id, viewer, session)


def find_outcome(session: Session, outcome_id: object, viewer: User | None) -> Outcome:
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
    session: Session, actor: User | str | None, outcome: Outcome, action: str, before: dict[str, object] | None
) -> None:
    """One audit row per outcome event (the ledger entries it writes ride the same transaction)."""
    audit(session, actor=actor, action=f"outcome.{action}", obj=outcome, before=before, after=_state(outcome))
    # A correction has no event type in the contract; an automatic confirmation is a confirmation.
    event = {"recorded": "recorded", "confirmed": "confirmed", "auto_confirmed": "confirmed", "disputed": "disputed"}
    if action in event:
        emit(session, outcome.business_id, f"outcome.{event[action]}", outcome)


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


def record_outcome(
    session: Session, actor: User, appointment_id: object, data: OutcomeData, *, now: datetime
) -> Outcome:
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
    _audit(session, actor, outcome, "recorded", None)
    notify(session, outcome, "outcome_recorded", actor)
    session.commit()
    return outcome


def correct_outcome(session: Session, actor: User, outcome_id: object, data: OutcomeData, *, now: datetime) -> Outcome:
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
    _audit(session, actor, outcome, "corrected", audit_before)
    notify(session, outcome, "outcome_corrected", actor)
    session.commit()
    return outcome


def _as_business(session: Session, actor: User, outcome_id: object, action: str) -> Outcome:
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


def confirm(session: Session, actor: User, outcome_id: object, *, now: datetime) -> Outcome:
    """A member of the business confirms the outcome (and a won deal's value); it is locked from now on."""
    outcome = _as_business(session, actor, outcome_id, "confirm")
    before = _state(outcome)
    outcome.status = OutcomeStatus.CONFIRMED
    outcome.confirmed_at = now
    outcome.confirmed_by_id = actor.id
    outcome.updated_at = now
    _settle(session, outcome, now)
    _audit(session, actor, outcome, "confirmed", before)
    notify(session, outcome, "outcome_confirmed", actor)
    session.commit()
    return outcome


def dispute(session: Session, actor: User, outcome_id: object, reason: object, *, now: datetime) -> Outcome:
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
    _audit(session, actor, outcome, "disputed", before)
    notify(session, outcome, "outcome_disputed", actor)
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
        _audit(session, None, outcome, "auto_confirmed", before)
        notify(session, outcome, "outcome_confirmed", None, automatic=True)
        confirmed += 1
    session.commit()
    return confirmed


def resolve_dispute(
    session: Session,
    actor: User,
    outcome_id: object,
    *,
    note: object,
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
    )
    emit(session, outcome.business_id, "outcome.resolved", outcome)
    notify(session, outcome, "outcome_resolved", actor, action=action)
    session.commit()
    return outcome


def data_from(outcome: Outcome) -> OutcomeData:
    """The outcome's current report as input (to pre-fill a correction form)."""
    return OutcomeData(
        result=outcome.result.value,
        deal_value=outcome.deal_value,
        currency_reason=outcome.currency_reason or "",
        lost_reason=outcome.lost_reason.value if outcome.lost_reason else None,
        lost_reason_text=outcome.lost_reason_text,
        objections=list(outcome.objections or []),
        technique=outcome.technique.value if outcome.technique else None,
        buying_signals=list(outcome.buying_signals or []),
        next_step=outcome.next_step,
        next_step_at=outcome.next_step_at,
        notes=outcome.notes,
    )
