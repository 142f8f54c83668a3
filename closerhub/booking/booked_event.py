"""The ``appointment.booked`` outbox event: what a booking leaves for the worker.

The request inserts one row (``queue_booked``) in the booking's transaction: the appointment,
its closer and a snapshot of the call as booked. The worker expands it
(``notifications.events``; exactly once, nothing lost while it is down) into:

- the confirmation email intents (``to_render`` rows, ``notify.appointment_booked``) for the
  prospect, their guests, the closer and every active member of the business, each showing
  the call as it was booked (a quick reschedule before the worker ran does not change it);
- the closer's search summary, recomputed in full (``closers.summary.refresh_summary``) after
  locking the closer as a booking does (``guard.lock_for_booking``), so it reads every call
  committed before it, and two workers refreshing one closer write in turn. In the worker's
  batch this runs once per closer, after the batch's events (``events.once_per_batch``): ten
  bookings of one closer cost one refresh, not ten.

Between the commit and the worker's run (every 10 s) search may still offer the slot; the
booking path itself never trusts the summary (a taken slot is a 409 with alternatives).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closerhub.booking import guard, notify
from closerhub.booking.models import Appointment
from closerhub.closers.summary import refresh_summary
from closerhub.notifications.events import handle_pending_for, once_per_batch, pending_event_values, queue_event

KIND = "appointment.booked"
REF_PREFIX = "appointment:"  # an event's ``ref``: this and the call's id


def queue_booked(session: Session, appointment: Appointment, now: datetime) -> None:
    """One outbox event for a booking just written (flushed), in its transaction (the caller commits)."""
    params = {
        "appointment_id": appointment.id,
        "closer_id": appointment.closer_id,
        "as_of": notify.snapshot_of(appointment),
    }
    queue_event(session, KIND, params, now, ref=ref_of(appointment.id))


def booked_event_values(appointment: Appointment, now: datetime) -> dict[str, Any]:
    """``queue_booked``'s row for the worker before the call has its id: ``ref`` and ``params`` lack it
    (the caller's INSERT adds ``appointment_id`` to the params and writes ``ref`` as ``ref_of`` does)."""
    params = {"closer_id": appointment.closer_id, "as_of": notify.snapshot_of(appointment)}
    return pending_event_values(KIND, params, now, ref=None)


def ref_of(appointment_id: int) -> str:
    return f"{REF_PREFIX}{appointment_id}"


def before_change(session: Session, appointment: Appointment, now: datetime) -> None:
    """Before a change of ``appointment`` queues its notices: its booking's event, if still pending,
    expanded now (``notifications.events.handle_pending_for``), so the confirmation comes first."""
    handle_pending_for(session, ref_of(appointment.id), now)


def expand_booked(session: Session, params: Mapping[str, Any], now: datetime) -> None:
    """The worker's side: the confirmations and the closer's summary (in the caller's transaction)."""
    closer_id = int(params["closer_id"])
    appointment = session.get(Appointment, params["appointment_id"])
    if appointment is not None:  # gone (a test's clean-up, a purge): nobody to tell
        notify.appointment_booked(session, appointment, snapshot=dict(params["as_of"]), now=now)
    # Once per worker batch for each closer, however many of their calls it holds (issue 18).
    once_per_batch(session, ("closer_summary", closer_id), functools.partial(_refresh_summary, closer_id), now)


def _refresh_summary(closer_id: int, session: Session, now: datetime) -> None:
    """The closer's search summary recomputed in full, once locked as a booking locks them (so it reads
    every call committed before it, and two workers refreshing one closer write in turn)."""
    guard.lock_for_booking(session, closer_id=closer_id)
    refresh_summary(session, closer_id, now)
