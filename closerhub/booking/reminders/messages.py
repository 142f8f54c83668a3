"""The worker's messages about a call (reminders, attendance, outcomes, no-shows), through ``booking.notify``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closerhub.booking.models import Appointment
from closerhub.booking.notify import _url, rebook_url, send
from closerhub.booking.recipients import PROSPECT, Recipient, business_members, closer_of, prospect_of

# --- the worker's messages (see ``reminders``) ------------------------------------------------------


def attendance_url(appointment: Appointment) -> str | None:
    """The prospect's signed "I'll be there" page (``booking.attendance``)."""
    from closerhub.booking.attendance.service import attendance_token  # late: attendance reads lookup, like the service

    return _url("booking_public.attend", token=attendance_token(appointment))


def reminder(session: Session, appointment: Appointment, kind: str, *, now: datetime) -> int:
    """Remind the prospect and the closer (``kind`` is ``"24h"`` or ``"1h"``); no invite, they have it.

    The prospect's 24 h reminder asks them to confirm they will come (a signed link), unless they already did.
    """

    def extra(recipient: Recipient) -> dict[str, Any]:
        asks = kind == "24h" and recipient.role == PROSPECT and appointment.prospect_confirmed_at is None
        return {"kind": kind, "confirm_url": attendance_url(appointment) if asks else None}

    recipients = [prospect_of(appointment), closer_of(appointment)]
    return send(session, appointment, "appointment_reminder", recipients, extra=extra, now=now)


def unconfirmed(session: Session, appointment: Appointment, *, now: datetime) -> int:
    """Tell the closer the prospect has not confirmed a call starting within 2 hours."""
    return send(session, appointment, "appointment_unconfirmed", [closer_of(appointment)], now=now)


def outcome_requested(session: Session, appointment: Appointment, *, now: datetime) -> int:
    """Ask the closer to record how the call went."""
    return send(session, appointment, "appointment_outcome_request", [closer_of(appointment)], now=now)


def outcome_overdue(session: Session, appointment: Appointment, *, now: datetime) -> int:
    """Tell the business a call ended 48 h ago with no outcome recorded."""
    return send(session, appointment, "appointment_outcome_overdue", business_members(session, appointment), now=now)


def rebook_after_no_show(session: Session, appointment: Appointment, *, follow_up: bool = False, now: datetime) -> int:
    """Offer the prospect who missed the call a link to book another time (``follow_up``: the next day's)."""
    url = rebook_url(appointment)
    if url is None:
        return 0
    extra = {"rebook_url": url, "follow_up": follow_up, "url": None}
    return send(session, appointment, "appointment_rebook", [prospect_of(appointment)], extra=lambda _r: extra, now=now)


def closer_missed_call(session: Session, appointment: Appointment, others: bool = False, *, now: datetime) -> int:
    """Apologise to the prospect whose closer did not come, with a link to book another time: when the
    offer has ``others`` bookable closers, the booking page without the one who missed the call
    (``?without=``: the offer's routing rule picks among the rest)."""
    url = rebook_url(appointment)
    if url is not None and others:
        url = _url("booking_public.book", key=appointment.offer.booking_key, without=appointment.closer_id)
    extra = {"rebook_url": url, "url": None}
    return send(
        session, appointment, "appointment_closer_missed", [prospect_of(appointment)], extra=lambda _r: extra, now=now
    )
