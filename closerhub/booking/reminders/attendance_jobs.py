"""The worker's attendance jobs, each message exactly once (the claim pattern of ``booking.reminders``).

- ``flag_unconfirmed``: a booked call starting within 2 hours whose prospect was asked to confirm
  (their 24 h reminder went out) and has not: the closer is emailed once (``unconfirmed_flagged_at``).
- ``offer_rebooking``: after a prospect no-show (the closer recorded it), the prospect gets a link
  to book another time, once (``rebook_offered_at``), then one follow-up the next day
  (``rebook_followed_up_at``) unless they booked again meanwhile. Within the business's change
  policy: a no-show counts as one of the call's moves, so a call already moved
  ``max_reschedules`` times gets no offer, nor does an offer that stopped taking bookings.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session, aliased

from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.reminders import messages as call_messages
from closerhub.booking.reminders.email import _candidates, _claim_and_notify

UNCONFIRMED_FLAG = timedelta(hours=2)
REBOOK_WINDOW = timedelta(days=7)  # a no-show older than this gets no offer (a worker that was down)
FOLLOW_UP_AFTER = timedelta(days=1)


def flag_unconfirmed(session: Session, now: datetime) -> int:
    """Tell each closer, once, that the prospect of a call starting within 2 h has not confirmed."""
    column = Appointment.unconfirmed_flagged_at
    rows = _candidates(
        session,
        column,
        Appointment.starts_at > now,
        Appointment.starts_at <= now + UNCONFIRMED_FLAG,
        Appointment.prospect_confirmed_at.is_(None),
        Appointment.reminder_24h_sent_at.is_not(None),  # they were asked
    )

    def send(s: Session, appointment: Appointment) -> int:
        return (
            0 if appointment.prospect_confirmed_at is not None else call_messages.unconfirmed(s, appointment, now=now)
        )

    return _claim_and_notify(session, [r.id for r in rows], column, now, send)


def rebooked_since(appointment: Appointment, since: datetime) -> Exists:
    """A call of the same lead and offer booked after ``since``: the prospect booked again."""
    other = aliased(Appointment)
    return exists().where(
        other.lead_id == appointment.lead_id,
        other.offer_id == appointment.offer_id,
        other.id != appointment.id,
        other.created_at >= since,
    )


def may_rebook(appointment: Appointment) -> bool:
    """Within the business's policy: the offer still takes bookings and the call has a move left."""
    return appointment.offer.is_active and appointment.reschedule_count < appointment.business.max_reschedules


def _send_offer(session: Session, appointment: Appointment, *, follow_up: bool, now: datetime) -> int:
    if not may_rebook(appointment):
        return 0
    if follow_up and session.scalar(select(rebooked_since(appointment, appointment.starts_at))):
        return 0
    return call_messages.rebook_after_no_show(session, appointment, follow_up=follow_up, now=now)


def offer_rebooking(session: Session, now: datetime) -> int:
    """Send the rebooking offers and their follow-ups that are due; returns how many were claimed."""
    no_show = AppointmentStatus.NO_SHOW
    first = _candidates(
        session, Appointment.rebook_offered_at, Appointment.ends_at > now - REBOOK_WINDOW, status=no_show
    )
    claimed = _claim_and_notify(
        session,
        [r.id for r in first],
        Appointment.rebook_offered_at,
        now,
        lambda s, a: _send_offer(s, a, follow_up=False, now=now),
        no_show,
    )
    second = _candidates(
        session,
        Appointment.rebook_followed_up_at,
        Appointment.rebook_offered_at.is_not(None),
        Appointment.rebook_offered_at <= now - FOLLOW_UP_AFTER,
        Appointment.rebook_offered_at > now - REBOOK_WINDOW,
        status=no_show,
    )
    claimed += _claim_and_notify(
        session,
        [r.id for r in second],
        Appointment.rebook_followed_up_at,
        now,
        lambda s, a: _send_offer(s, a, follow_up=True, now=now),
        no_show,
    )
    return claimed
