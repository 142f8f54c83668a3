"""The worker's booking jobs: reminders, outcome requests, overdue outcomes. Each email goes exactly once.

Exactly once, with two workers or after a restart
-------------------------------------------------
Every message has a claim column on ``appointments`` (``reminder_24h_sent_at``,
``reminder_1h_sent_at``, ``outcome_requested_at``, ``outcome_overdue_at``). A job reads
the candidates, then for each one runs a conditional UPDATE::

    UPDATE appointments SET reminder_24h_sent_at = :now
    WHERE id = :id AND reminder_24h_sent_at IS NULL AND status = 'booked'

and queues the emails (outbox rows) *in the same transaction* only when the update
touched the row (rowcount 1). Two workers that both saw the candidate race on the
UPDATE: PostgreSQL makes the second wait for the first's commit and then re-checks the
WHERE clause against the new row (0 rows); SQLite serialises writers (``BEGIN IMMEDIATE``)
and the second sees the committed claim. A crash before the commit loses both the claim
and the emails, so the next run sends them; after the commit nothing is sent again.
The outbox then delivers each row once (``notifications.delivery``).

Reminder rules
--------------
- 24 h reminder: when the call starts within 24 h, to the prospect and the closer.
  A call booked (or last rescheduled) less than 24 h before its start gets none: the
  confirmation just went out. If the 1 h window is already open (a worker that was down),
  the 24 h reminder is skipped in favour of the 1 h one, never sent late.
- 1 h reminder: when the call starts within the hour, to both. A call booked (or moved)
  less than 1 h before its start gets none.
- No reminder once the call has started, or for a call that is not ``booked``.
- A reschedule should clear both reminder claims (the booking service's job) so the new
  time gets its reminders; the "booked less than … before" rule then uses the reschedule time.

Outcomes
--------
- ``request_outcomes``: once a booked call has ended (and for 48 h after), email the
  closer once asking for the outcome.
- ``flag_overdue_outcomes``: 48 h after the end, still ``booked`` (no outcome recorded),
  set ``outcome_overdue_at`` once and email the business's members once.

The concurrency tests hold two workers between reading the candidates and claiming them
(wrapping ``_claim_and_notify``) and, to show that without it two workers send duplicates,
replace ``_claim_condition``: plain named steps, no test switch in here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from closerhub.booking.reminders import messages as call_messages

log = logging.getLogger(__name__)

REMINDER_24H = timedelta(hours=24)
REMINDER_1H = timedelta(hours=1)
OUTCOME_OVERDUE_AFTER = timedelta(hours=48)
BATCH = 500  # candidates per run; the rest wait for the next run (every minute)


def _claim_condition(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """Who may claim a message: nobody has (``column IS NULL``) and the call is still booked."""
    return and_(column.is_(None), Appointment.status == AppointmentStatus.BOOKED)


def _claim(
    session: Session,
    appointment_id: int,
    column: InstrumentedAttribute[Any],
    now: datetime,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> bool:
    """Set ``column`` to ``now`` if nobody has: True when this worker owns the message.

    Opens the transaction with the write lock on SQLite (``BEGIN IMMEDIATE``): a deferred
    transaction that read first could not write after another worker's commit. ``status``:
    the call's status the message is about (``no_show`` for the rebooking offers).
    """
    session.connection(execution_options={"sqlite_immediate": True})
    condition = (
        _claim_condition(column)
        if status == AppointmentStatus.BOOKED
        else and_(column.is_(None), Appointment.status == status)
    )
    statement = update(Appointment).where(Appointment.id == appointment_id, condition)
    result = session.execute(statement.values({column.key: now}).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_and_notify(
    session: Session,
    ids: Sequence[int],
    column: InstrumentedAttribute[Any],
    now: datetime,
    send: Callable[[Session, Appointment], object],
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> int:
    """Claim each appointment and queue its emails in one transaction each; returns how many were claimed."""
    session.commit()  # end the read transaction before writing (see ``_claim``)
    claimed = 0
    for appointment_id in ids:
        try:
            if not _claim(session, appointment_id, column, now, status):
                session.rollback()
                continue
            appointment = session.execute(
                select(Appointment).where(Appointment.id == appointment_id).execution_options(populate_existing=True)
            ).scalar_one()
            send(session, appointment)
            session.commit()
            claimed += 1
        except Exception:
            # One broken row (a template error, a bad address) must not stop the others; the
            # rollback releases its claim, so the next run tries it again.
            session.rollback()
            log.exception("Appointment %s: could not queue %s emails", appointment_id, column.key)
    return claimed


def _candidates(
    session: Session,
    column: InstrumentedAttribute[Any],
    *conditions: ColumnElement[bool],
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> list[Any]:
    last_reschedule = (
        select(func.max(AppointmentEvent.at))
        .where(AppointmentEvent.appointment_id == Appointment.id, AppointmentEvent.kind == "rescheduled")
        .correlate(Appointment)
        .scalar_subquery()
    )
    query = (
        select(Appointment.id, Appointment.starts_at, Appointment.created_at, last_reschedule.label("moved_at"))
        .where(Appointment.status == status, column.is_(None), *conditions)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(BATCH)
    )
    return list(session.execute(query))


def _scheduled_at(row: Any) -> datetime:
    """When the call's current time was set: its booking, or its last reschedule."""
    return max(row.created_at, row.moved_at) if row.moved_at is not None else row.created_at


def due_reminders(session: Session, now: datetime, kind: str) -> list[int]:
    """The ids of the calls whose ``kind`` (``"24h"`` or ``"1h"``) reminder is due at ``now``."""
    lead, column = (
        (REMINDER_24H, Appointment.reminder_24h_sent_at)
        if kind == "24h"
        else (
            REMINDER_1H,
            Appointment.reminder_1h_sent_at,
        )
    )
    window_start = now + REMINDER_1H if kind == "24h" else now  # inside the last hour only the 1 h one goes
    rows = _candidates(session, column, Appointment.starts_at > window_start, Appointment.starts_at <= now + lead)
    # Late bookings: a call set less than ``lead`` before its start gets no such reminder.
    return [row.id for row in rows if row.starts_at - _scheduled_at(row) >= lead]


def send_due_reminders(session: Session, now: datetime) -> int:
    """Queue the due 24 h and 1 h reminders to the prospect and the closer, each exactly once.

    Returns the number of reminders claimed (one per appointment and kind). Commits per appointment.
    """
    sent = 0
    for kind, column in (("24h", Appointment.reminder_24h_sent_at), ("1h", Appointment.reminder_1h_sent_at)):
        ids = due_reminders(session, now, kind)
        sent += _claim_and_notify(session, ids, column, now, partial(call_messages.reminder, kind=kind, now=now))
    return sent


def request_outcomes(session: Session, now: datetime) -> int:
    """Ask the closer, once, to record the outcome of each booked call that ended in the last 48 h."""
    column = Appointment.outcome_requested_at
    rows = _candidates(session, column, Appointment.ends_at <= now, Appointment.ends_at > now - OUTCOME_OVERDUE_AFTER)
    return _claim_and_notify(
        session, [r.id for r in rows], column, now, partial(call_messages.outcome_requested, now=now)
    )


def flag_overdue_outcomes(session: Session, now: datetime) -> int:
    """Mark calls still ``booked`` 48 h after their end as overdue, once, and tell the business."""
    column = Appointment.outcome_overdue_at
    rows = _candidates(session, column, Appointment.ends_at <= now - OUTCOME_OVERDUE_AFTER)
    return _claim_and_notify(
        session, [r.id for r in rows], column, now, partial(call_messages.outcome_overdue, now=now)
    )
