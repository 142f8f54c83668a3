"""A call's history: one append-only line per change (booked, moved, handed over, cancelled, closed).

Every change to an appointment writes its line here and nowhere else, so the history reads the
same whichever path changed the call. The line joins the session through the appointment
(a backref that does not load the call's earlier lines) and is added to the session here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentEvent


def record_change(
    session: Session,
    appointment: Appointment,
    kind: str,
    *,
    at: datetime,
    actor: User | None,
    actor_label: str,
    from_start: datetime | None = None,
    to_start: datetime | None = None,
    reason: str | None = None,
) -> AppointmentEvent:
    """Append one line to ``appointment``'s history (written with the appointment, no flush)."""
    event = AppointmentEvent(
        appointment=appointment,
        kind=kind,
        at=at,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        from_start=from_start,
        to_start=to_start,
        reason=reason or None,
    )
    session.add(event)
    return event
