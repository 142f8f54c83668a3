"""A booked call leaves its closer: handed back ("not a fit for me") or the closer is suspended.

The call keeps its time, its prospect and its ICS UID. Among the offer's other bookable
closers (``slots.bookable_engagements``) free for the whole call, the routing rule picks one
(``routing.choose``, the reason logged and kept in ``Appointment.routing_reason``); the call
moves to them under the same guard as any booking (SQLite's write lock, the closer's row
lock and the exclusion constraint / trigger on PostgreSQL), with SEQUENCE + 1. When nobody
is free the call is cancelled and the prospect gets a link to book another time.

Who reads what: the closer's (or admin's) reason goes to the business, the closers and the
audit trail; the prospect gets a neutral notice naming the new closer, or a cancellation
without the reason (``notify_handover``, ``notify.appointment_cancelled``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking import guard, routing
from closerhub.booking.changes import handover_notify as notify_handover
from closerhub.booking.changes.history import record_change
from closerhub.booking.changes.rules import check_actor, check_policy, require_booked
from closerhub.booking.changes.service import REASON_MAX, audit_change, cancel_now
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.meetings import meeting_link
from closerhub.booking.models import Appointment, Channel
from closerhub.booking.slots import bookable_engagements, free_slot_at
from closerhub.businesses.service import clean_text
from closerhub.closers.rules import rules_for_many
from closerhub.closers.summary import refresh_summary
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import _

log = logging.getLogger(__name__)

HANDED_BACK, SUSPENDED = "handed_back", "closer_suspended"
_WHY = {HANDED_BACK: "the closer handed the call back", SUSPENDED: "the closer was suspended"}


@dataclass(frozen=True)
class Handover:
    """What became of one call: moved to ``new_closer``, or cancelled (``new_closer`` is None)."""

    appointment: Appointment
    previous_closer: User
    new_closer: User | None

    @property
    def reassigned(self) -> bool:
        return self.new_closer is not None


def candidates(
    session: Session, appointment: Appointment, now: datetime, *, exclude: frozenset[int] = frozenset()
) -> list[routing.Candidate]:
    """The offer's other bookable closers free for the whole call at its time (the offer's call, cut out of
    their windows, covers it)."""
    engagements = [
        e
        for e in bookable_engagements(session, appointment.offer)
        if e.closer_id != appointment.closer_id and e.closer_id not in exclude
    ]
    if not engagements:
        return []
    rules_of = rules_for_many(session, [e.closer for e in engagements])
    found = []
    for engagement in engagements:
        rules = rules_of[engagement.closer_id].for_call(*appointment.offer.call)
        slot = free_slot_at(session, engagement.closer, rules, appointment.starts_at, now)
        if slot is not None and slot.end >= appointment.ends_at:
            found.append(routing.Candidate(engagement, slot))
    return found


def _move(
    session: Session,
    appointment: Appointment,
    pick: routing.Candidate,
    note: str,
    *,
    actor: User | None,
    actor_label: str,
    reason: str,
    now: datetime,
) -> None:
    """Give the call to ``pick``'s closer (same time, UID; SEQUENCE + 1), flushed under the overlap guard."""
    engagement = pick.engagement
    new_closer = engagement.closer
    rules = rules_for_many(session, [new_closer])[new_closer.id]
    previous_id = appointment.closer_id
    link = meeting_link(session, new_closer.id, keep=appointment.meeting_url)
    # Every change is written by the one flush below, under the overlap guard (no autoflush on the way).
    with session.no_autoflush:
        if appointment.channel == Channel.VIDEO:
            appointment.meeting_url = link
        appointment.engagement, appointment.closer = engagement, new_closer
        appointment.engagement_id, appointment.closer_id = engagement.id, new_closer.id
        appointment.blocked_until = appointment.ends_at + timedelta(minutes=rules.buffer_minutes)
        appointment.routing_reason = note
        appointment.sequence += 1
        appointment.updated_at = now
        record_change(
            session,
            appointment,
            "reassigned",
            at=now,
            actor=actor,
            actor_label=actor_label,
            from_start=appointment.starts_at,
            to_start=appointment.starts_at,
            reason=reason,
        )
    guard.write_booking(session)
    audit_change(
        session,
        appointment,
        "reassigned",
        actor,
        actor_label,
        {"closer_id": previous_id},
        {"closer_id": new_closer.id, "reason": reason or None, "routing": note},
        now=now,
    )
    refresh_summary(session, previous_id, now)
    refresh_summary(session, new_closer.id, now, rules=rules)


def reassign_or_cancel(
    session: Session,
    appointment: Appointment,
    *,
    actor: User | None,
    actor_label: str,
    reason: str,
    why: str,
    now: datetime,
    before_cancel: Callable[[], None] | None = None,
) -> Handover:
    """Move the booked ``appointment`` to another free engaged closer, else cancel it with a rebooking link.

    The caller holds the write lock (``guard.take_write_lock``) and has checked the call is
    booked; this commits once. ``before_cancel`` (a callable) runs before a cancellation, to
    refuse it (the hand-back's change policy). A closer taken meanwhile (the database refuses
    the overlap) is left out and the choice made again.
    """
    previous = appointment.closer
    excluded: set[int] = set()
    while True:
        found = candidates(session, appointment, now, exclude=frozenset(excluded))
        if not found:
            break
        pick, picked_why = routing.choose(session, appointment.offer_id, appointment.starts_at, found)
        # On PostgreSQL, lock the new closer like a booking does and check their calls again as committed.
        if guard.lock_for_booking(session, closer_id=pick.engagement.closer_id) and (
            free_slot_at(
                session,
                pick.engagement.closer,
                rules_for_many(session, [pick.engagement.closer])[pick.engagement.closer_id].for_call(
                    *appointment.offer.call
                ),
                appointment.starts_at,
                now,
            )
            is None
        ):
            excluded.add(pick.engagement.closer_id)
            continue
        note = f"Reassigned ({_WHY[why]}, from {previous.name} #{previous.id}). {picked_why}"
        log.info("appointment %s: %s", appointment.id, note)
        savepoint = session.begin_nested()
        try:
            _move(session, appointment, pick, note, actor=actor, actor_label=actor_label, reason=reason, now=now)
        except (IntegrityError, OperationalError) as exc:
            savepoint.rollback()
            if not guard.is_overlap(exc):
                raise
            session.refresh(appointment)
            excluded.add(pick.engagement.closer_id)
            continue
        savepoint.commit()
        notify_handover.reassigned(session, appointment, previous, why=why, reason=reason, now=now)
        session.commit()
        return Handover(appointment, previous, pick.engagement.closer)
    if before_cancel is not None:
        before_cancel()
    cancel_now(
        session, appointment, actor=actor, actor_label=actor_label, reason=reason, message=None, now=now, rebook=True
    )
    session.commit()
    return Handover(appointment, previous, None)


def hand_back(
    session: Session, appointment: Appointment, *, closer: User, reason: str | None, now: datetime
) -> Handover:
    """The closer gives a booked call back before it starts ("not a fit for me"), with a reason for the business.

    Another engaged closer free at that time takes it (routing rule); with none, the call is
    cancelled (then the business's change policy applies, as to any cancel by the closer) and
    the prospect gets a link to book again. The prospect never reads the reason.
    """
    guard.take_write_lock(session)
    session.refresh(appointment)
    applies = check_actor(appointment, closer, "closer")
    if closer.id != appointment.closer_id:
        raise PermissionDenied(_("Only the closer of this call can hand it back."))
    require_booked(appointment, rescheduling=False)
    clean_reason = clean_text(reason, "reason", REASON_MAX, multiline=True)
    if not clean_reason:
        message = _("Say why you hand the call back: the business reads it.")
        raise ValidationError(message, field_errors={"reason": message})
    if appointment.starts_at <= now:
        raise Conflict(_("This call has already started; it can no longer be handed back."), code="change_too_late")

    def policy() -> None:
        if applies:
            check_policy(appointment, clean_reason, now, rescheduling=False)

    return reassign_or_cancel(
        session,
        appointment,
        actor=closer,
        actor_label="closer",
        reason=clean_reason,
        why=HANDED_BACK,
        now=now,
        before_cancel=policy,
    )


__all__ = ["HANDED_BACK", "SUSPENDED", "Handover", "SlotUnavailable", "candidates", "hand_back", "reassign_or_cancel"]
