"""Reschedule and cancel a booked call, under the business's change policy.

The policy (``Business.change_notice_minutes``, ``change_reason_required``,
``max_reschedules``) binds the prospect, the closer and the business's team alike;
admins and the system are exempt. A reschedule keeps the closer, the meeting link and
the ICS UID, and bumps ``sequence`` so calendars update the event; a cancel bumps it too
(METHOD:CANCEL must carry a higher SEQUENCE). Both commit once, with the closer's search
summary refreshed and the emails queued in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.booking import booked_event, guard, notify
from closerhub.booking.changes.history import record_change
from closerhub.booking.changes.rules import REASON_MAX, check_actor, check_policy, require_booked
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.slots import closer_alternatives, free_slot_at, start_refusal
from closerhub.businesses.service import clean_text
from closerhub.closers.rules import rules_for
from closerhub.closers.summary import refresh_summary
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.tz import require_aware
from closerhub.webhooks.service import emit

# Booking actions that are webhook event types ("appointment.<action>" in the API contract).
WEBHOOK_ACTIONS = frozenset({"booked", "rescheduled", "cancelled"})


def audit_change(
    session: Session,
    appointment: Appointment,
    action: str,
    actor: User | None,
    actor_label: str,
    before: dict[str, object] | None,
    after: dict[str, object],
    *,
    now: datetime,
) -> None:
    """One audit row per booking event, and its webhook event when the contract has one (same transaction).

    A prospect (no account) is named by their label. A hand-over ("reassigned") has no
    webhook type in the contract, so it is audited only.
    """
    who: User | str = actor if actor is not None else actor_label
    audit(session, actor=who, action=f"appointment.{action}", obj=appointment, before=before, after=after, now=now)
    if action in WEBHOOK_ACTIONS:
        emit(session, appointment.business_id, f"appointment.{action}", appointment, now=now)


def reschedule(
    session: Session,
    appointment: Appointment,
    *,
    start: datetime,
    actor: User | None,
    actor_label: str,
    reason: str | None,
    now: datetime,
    message_to_prospect: str | None = None,
) -> Appointment:
    """Move a booked call to ``start`` (a free slot of the same closer) and commit once.

    Keeps the closer and meeting link; ``sequence`` and ``reschedule_count`` go up; the
    reminders are due again for the new time. A taken slot is a ``SlotUnavailable`` with
    the closer's 3 nearest free slots. ``reason`` is internal (closer, business, admins);
    the prospect reads ``message_to_prospect`` instead (see the README, "Reasons and who sees them").
    """
    start = require_aware(start, "start")
    guard.take_write_lock(session)
    session.refresh(appointment)
    applies = check_actor(appointment, actor, actor_label)
    require_booked(appointment, rescheduling=True)
    clean_reason = clean_text(reason, "reason", REASON_MAX, multiline=True)
    message = clean_message(message_to_prospect)
    if applies:
        check_policy(appointment, clean_reason, now, rescheduling=True)
    if start == appointment.starts_at:
        raise ValidationError(_("The call is already at this time."), field_errors={"start": _("Choose another time.")})
    closer = appointment.closer
    guard.lock_for_booking(session, closer_id=closer.id)  # the closer's other bookings wait (daily cap)
    own_rules = rules_for(session, closer)
    rules = own_rules.for_call(*appointment.offer.call)  # the offer's call, as when it was booked
    if free_slot_at(session, closer, rules, start, now, with_busy=False) is None:
        raise start_refusal(rules, closer, start, now)
    slot = free_slot_at(session, closer, rules, start, now, exclude_id=appointment.id)
    if slot is None:
        raise _taken(session, appointment, start, now)

    previous = appointment.starts_at
    appointment.starts_at, appointment.ends_at = slot.start, slot.end
    appointment.blocked_until = slot.end + timedelta(minutes=rules.buffer_minutes)
    appointment.sequence += 1
    appointment.reschedule_count += 1
    appointment.reminder_24h_sent_at = appointment.reminder_1h_sent_at = None
    # The prospect confirmed the old time, not this one: the next 24 h reminder asks again.
    appointment.prospect_confirmed_at = appointment.unconfirmed_flagged_at = None
    appointment.updated_at = now
    record_change(
        session,
        appointment,
        "rescheduled",
        at=now,
        actor=actor,
        actor_label=actor_label,
        from_start=previous,
        to_start=slot.start,
        reason=clean_reason,
    )
    try:
        guard.write_booking(session)
    except (IntegrityError, OperationalError) as exc:
        if not guard.is_overlap(exc):
            raise
        raise _taken(session, appointment, start, now) from None
    audit_change(
        session,
        appointment,
        "rescheduled",
        actor,
        actor_label,
        {"starts_at": previous},
        {"starts_at": appointment.starts_at, "reason": clean_reason or None, **_message_entry(message)},
        now=now,
    )
    booked_event.before_change(session, appointment, now)  # its confirmation first, if still pending
    refresh_summary(session, appointment.closer_id, now, rules=own_rules)
    notify.appointment_rescheduled(session, appointment, previous, message_to_prospect=message, now=now)
    session.commit()
    return appointment


def _taken(session: Session, appointment: Appointment, start: datetime, now: datetime) -> SlotUnavailable:
    session.rollback()
    exc = SlotUnavailable(_("This time is not free any more. Please choose another slot."))
    exc.alternatives = [
        s
        for s in closer_alternatives(
            session, appointment.closer, start, now, offer=appointment.offer, zone=appointment.prospect_timezone
        )
        if s.start != appointment.starts_at
    ]
    session.rollback()
    return exc


def clean_message(raw: str | None) -> str | None:
    """The optional message for the prospect (plain text, at most ``REASON_MAX`` characters), or None."""
    return clean_text(raw, "message_to_prospect", REASON_MAX, multiline=True) or None


def _message_entry(message: str | None) -> dict[str, str]:
    """The audit row's record of the message the prospect read (when one was written)."""
    return {"message_to_prospect": message} if message else {}


def cancel(
    session: Session,
    appointment: Appointment,
    *,
    actor: User | None,
    actor_label: str,
    reason: str | None,
    now: datetime,
    message_to_prospect: str | None = None,
) -> Appointment:
    """Cancel a booked call (the slot becomes free again) and commit once.

    ``reason`` is internal: the closer, the business and admins read it; the prospect reads
    ``message_to_prospect`` (optional) and never the reason, unless they cancelled themselves.
    """
    guard.take_write_lock(session)
    session.refresh(appointment)
    applies = check_actor(appointment, actor, actor_label)
    require_booked(appointment, rescheduling=False)
    clean_reason = clean_text(reason, "reason", REASON_MAX, multiline=True)
    message = clean_message(message_to_prospect)
    if applies:
        check_policy(appointment, clean_reason, now, rescheduling=False)
    cancel_now(
        session, appointment, actor=actor, actor_label=actor_label, reason=clean_reason, message=message, now=now
    )
    session.commit()
    return appointment


def cancel_now(
    session: Session,
    appointment: Appointment,
    *,
    actor: User | None,
    actor_label: str,
    reason: str,
    message: str | None,
    now: datetime,
    rebook: bool = False,
) -> None:
    """Cancel a booked call already checked (cleaned ``reason``): history, audit, summary, notices; no commit.

    ``rebook`` gives the prospect a link to the offer's booking page (a call we cancelled for them).
    """
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancel_reason = reason or None
    appointment.sequence += 1
    appointment.updated_at = now
    record_change(
        session,
        appointment,
        "cancelled",
        at=now,
        actor=actor,
        actor_label=actor_label,
        from_start=appointment.starts_at,
        reason=reason,
    )
    session.flush()
    audit_change(
        session,
        appointment,
        "cancelled",
        actor,
        actor_label,
        {"status": AppointmentStatus.BOOKED},
        {"status": appointment.status, "reason": reason or None, **_message_entry(message)},
        now=now,
    )
    booked_event.before_change(session, appointment, now)  # its confirmation first, if still pending
    refresh_summary(session, appointment.closer_id, now)
    notify.appointment_cancelled(session, appointment, message_to_prospect=message, rebook=rebook, now=now)
