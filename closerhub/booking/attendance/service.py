"""Attendance: the prospect confirms they will come; who came to a call that is over.

- The 24 h reminder carries a signed "I'll be there" link (``attendance_token``, its own salt:
  a manage token does not open it and the reverse). ``confirm`` stores ``prospect_confirmed_at``
  once (confirming again changes nothing) while the call is booked and has not started.
- ``attendance_of`` is what the API's ``attendance`` object and the schedules read:
  ``prospect`` is ``no_show`` when the closer recorded a no-show, ``attended`` once another
  outcome was recorded; ``closer`` is ``no_show`` when an admin confirmed a report that the
  closer did not come (``booking.no_shows``), ``attended`` when the closer recorded a held call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closerhub.booking.lookup import ATTENDANCE_SALT, appointment_for_token, manage_token
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from closerhub.core.errors import Conflict
from closerhub.core.i18n import _


def attendance_token(appointment: Appointment) -> str:
    """The signed token of the prospect's attendance confirmation link (no expiry)."""
    return manage_token(appointment, salt=ATTENDANCE_SALT)


def appointment_for_attendance_token(session: Session, token: str) -> Appointment:
    """The appointment of a confirmation link; NotFound when forged or unknown (cancelled calls still show)."""
    return appointment_for_token(session, token, allow_cancelled=True, salt=ATTENDANCE_SALT)


def can_confirm(appointment: Appointment, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now


def confirm(session: Session, appointment: Appointment, *, now: datetime) -> bool:
    """The prospect says they will come. True when this stored it, False when it was already stored.

    Refused (Conflict) once the call was cancelled, moved to an outcome, or has started. Commits.
    """
    if not can_confirm(appointment, now):
        if appointment.status == AppointmentStatus.CANCELLED:
            raise Conflict(_("This call was cancelled; there is nothing to confirm."), code="not_confirmable")
        raise Conflict(_("This call has started or is over; there is nothing to confirm."), code="not_confirmable")
    if appointment.prospect_confirmed_at is not None:
        return False
    appointment.prospect_confirmed_at = now
    appointment.updated_at = now
    appointment.events.append(AppointmentEvent(kind="confirmed", at=now, actor_label="prospect"))
    session.commit()
    return True


def prospect_attendance(appointment: Appointment) -> str | None:
    if appointment.status == AppointmentStatus.NO_SHOW:
        return "no_show"
    if appointment.status == AppointmentStatus.COMPLETED:
        return "attended"
    return None


def closer_attendance(appointment: Appointment) -> str | None:
    if appointment.closer_no_show_at is not None:
        return "no_show"
    if appointment.status == AppointmentStatus.COMPLETED:
        return "attended"
    return None


def attendance_of(appointment: Appointment) -> dict[str, Any]:
    """The API's ``attendance`` object."""
    return {
        "prospect_confirmed_at": appointment.prospect_confirmed_at,
        "prospect": prospect_attendance(appointment),
        "closer": closer_attendance(appointment),
    }
