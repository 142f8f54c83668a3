"""Notices of a call that changed closer (``handover``): who reads what.

- the prospect: a neutral notice naming the new closer, same time, with the updated invite
  (same UID, higher SEQUENCE); never the reason;
- the new closer: the call is theirs now, with the invite;
- the business's members: who handed it to whom, and the internal reason, with the invite;
- the previous closer: the call is no longer theirs, with a CANCEL invite that removes it.

Queued through the outbox like every booking notice (``notify.send_later``); the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.booking.notify import send_later
from closerhub.booking.recipients import CLOSER, Recipient, business_members, closer_of, prospect_of


def reassigned(
    session: Session, appointment: Appointment, previous: User, *, why: str, reason: str, now: datetime
) -> None:
    """Queue the four notices of a call moved from ``previous`` to ``appointment.closer`` (``why``: handover kind)."""
    common = {"why": why, "previous_closer": previous.name}
    prospect = prospect_of(appointment)
    send_later(session, appointment, "appointment_reassigned", [prospect], method="REQUEST", data=common, now=now)
    team = [r for r in (closer_of(appointment), *business_members(session, appointment)) if r.email != prospect.email]
    send_later(
        session,
        appointment,
        "appointment_reassigned",
        team,
        method="REQUEST",
        data={**common, "reason": reason},
        now=now,
    )
    released = Recipient(previous.email, previous.name, previous.language, previous.timezone, CLOSER, previous.id)
    send_later(
        session,
        appointment,
        "appointment_released",
        [released],
        method="CANCEL",
        data={**common, "reason": reason, "url": None},
        now=now,
    )
