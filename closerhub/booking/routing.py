"""Which closer takes a call: a named one, or round-robin among those free at that start.

The rule (documented on the booking page and in the API): among the offer's bookable
closers free at the chosen start, the one whose latest booking on this offer is the
oldest wins; a closer never booked on the offer counts as oldest of all; ties go to the
oldest engagement. A newcomer thus gets the next call and then queues like everyone
else (never flooded), and a closer who was busy is not "owed" calls afterwards.
Each choice is explained in ``Appointment.routing_reason`` and the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.slots import Slot
from closerhub.engagements.models import Engagement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A closer free at the requested start, with the slot they would take."""

    engagement: Engagement
    slot: Slot


def _last_booked(session: Session, offer_id: int, closer_ids: list[int]) -> dict[int, datetime]:
    """When each closer was last booked on this offer (cancelled calls do not count)."""
    rows = session.execute(
        select(Appointment.closer_id, func.max(Appointment.created_at))
        .where(
            Appointment.offer_id == offer_id,
            Appointment.closer_id.in_(closer_ids),
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .group_by(Appointment.closer_id)
    )
    return {closer_id: at for closer_id, at in rows}


def _label(engagement: Engagement, last: datetime | None) -> str:
    when = last.strftime("%Y-%m-%d %H:%M:%S UTC") if last else "never"
    return f"{engagement.closer.name} (#{engagement.closer_id}, last booked {when})"


def choose(session: Session, offer_id: int, start: datetime, candidates: list[Candidate]) -> tuple[Candidate, str]:
    """The round-robin pick among ``candidates`` (non-empty) and the sentence explaining it."""
    last = _last_booked(session, offer_id, [c.engagement.closer_id for c in candidates])
    never = datetime.min.replace(tzinfo=start.tzinfo)
    ranked = sorted(candidates, key=lambda c: (last.get(c.engagement.closer_id) or never, c.engagement.id))
    pick = ranked[0]
    picked = _label(pick.engagement, last.get(pick.engagement.closer_id))
    if len(ranked) == 1:
        reason = f"Round-robin: {picked} was the only closer free."
    else:
        others = ", ".join(_label(c.engagement, last.get(c.engagement.closer_id)) for c in ranked[1:])
        reason = f"Round-robin: {len(ranked)} closers free; picked the least recently booked, {picked}, over {others}."
    log.info("booking offer %s at %s: %s", offer_id, start.isoformat(), reason)
    return pick, reason


def named_reason(engagement: Engagement) -> str:
    """The routing note of a call booked with a chosen closer."""
    return f"Closer chosen by the booker: {engagement.closer.name} (#{engagement.closer_id})."
