"""The SMS outbox: queue in the caller's transaction, deliver from the worker, exactly once per claim.

- ``queue_sms`` adds a row to the caller's transaction (a rolled-back change sends nothing):
  ``pending`` with provider keys, ``stored`` without (kept like emails, never sent), nothing at
  all for a number that replied STOP.
- ``deliver_due`` claims each pending row with ``UPDATE … SET status='sending', lease_until=…
  WHERE id=… AND (status='pending' OR status='sending' AND lease_until<=now)``, committed before
  the provider is called: of two workers only one moves the row (PostgreSQL re-checks the WHERE
  after the first commits; SQLite serialises the writers). A worker killed between the provider's
  answer and its commit leaves a row that is claimed again when the lease ends (at least once).
- ``record_status`` stores the provider's delivery callbacks (``delivered``, ``undelivered``,
  ``failed``; anything else is kept as ``provider_status`` only).
- ``opt_out`` / ``opt_in``: STOP and START; an opted-out number's pending texts are cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from closerhub.core.retry import RetrySchedule
from closerhub.notifications import sms_gateway
from closerhub.notifications.sms_models import SmsMessage, SmsOptOut, SmsStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRIES = RetrySchedule(tuple(LEASE * n for n in range(1, 5)))  # due again 5, 10, 15, 20 minutes later
MAX_ATTEMPTS = RETRIES.max_attempts
BATCH = 100
BODY_MAX = 480  # three SMS segments at most
# The provider's final words on a message, and what we record.
FINAL_STATUSES = {
    "delivered": SmsStatus.DELIVERED,
    "undelivered": SmsStatus.UNDELIVERED,
    "failed": SmsStatus.FAILED,
}
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"})
START_WORDS = frozenset({"START", "UNSTOP"})


def is_opted_out(session: Session, phone: str) -> bool:
    return session.get(SmsOptOut, phone) is not None


def queue_sms(
    session: Session,
    config: Mapping[str, Any],
    *,
    to: str,
    body: str,
    kind: str,
    appointment_id: int | None,
    now: datetime,
) -> SmsMessage | None:
    """Add a text to the outbox (the caller commits); None when ``to`` replied STOP."""
    if is_opted_out(session, to):
        return None
    status = SmsStatus.PENDING if sms_gateway.configured(config) else SmsStatus.STORED
    row = SmsMessage(
        to_number=to,
        body=body[:BODY_MAX],
        kind=kind,
        appointment_id=appointment_id,
        status=status,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    if status == SmsStatus.STORED:
        log.info("SMS kept in the outbox (no provider keys) to %s: %s", to, body)
    return row


def _claimable(now: datetime) -> Any:
    return or_(
        SmsMessage.status == SmsStatus.PENDING,
        and_(SmsMessage.status == SmsStatus.SENDING, SmsMessage.lease_until <= now),
    )


def claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one text for sending (True) or learn another worker has it (False); commits."""
    session.connection(execution_options={"sqlite_immediate": True})
    taken = session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, _claimable(now))
        .values(status=SmsStatus.SENDING, lease_until=now + LEASE, attempts=SmsMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return taken.rowcount == 1  # type: ignore[attr-defined]


def due_ids(session: Session, now: datetime) -> list[int]:
    ids = session.scalars(select(SmsMessage.id).where(_claimable(now)).order_by(SmsMessage.id).limit(BATCH))
    result = list(ids)
    session.commit()  # end the read before claiming (see ``claim``)
    return result


def _write(session: Session, message_id: int, **values: Any) -> None:
    """Store a result in a transaction of its own that takes the write lock first (SQLite: no read-then-write
    upgrade to deadlock with another worker's claim)."""
    session.connection(execution_options={"sqlite_immediate": True})
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _send_one(
    session: Session, config: Mapping[str, Any], message_id: int, now: datetime, callback: str | None
) -> None:
    """Send one claimed text. No transaction is open while the provider is called."""
    row = session.get(SmsMessage, message_id, populate_existing=True)
    if row is None:
        session.rollback()
        return
    to, body, attempts = row.to_number, row.body, row.attempts
    stopped = is_opted_out(session, to)
    session.rollback()  # end the read before the network call and the write
    if stopped:
        _write(session, message_id, status=SmsStatus.CANCELLED, status_at=now)
        return
    try:
        sent = sms_gateway.send(config, to=to, body=body, status_callback=callback)
    except sms_gateway.SmsSendError as exc:
        again = None if exc.permanent else RETRIES.next_attempt_at(attempts, now)
        if again is None:
            _write(session, message_id, status=SmsStatus.FAILED, status_at=now, error=str(exc))
        else:  # due again when this longer lease ends
            _write(session, message_id, lease_until=again, error=str(exc))
        return
    _write(
        session,
        message_id,
        status=SmsStatus.SENT,
        provider_sid=sent.sid,
        provider_status=sent.status,
        sent_at=now,
        status_at=now,
        lease_until=None,
    )


def deliver_due(session: Session, config: Mapping[str, Any], now: datetime, status_callback: str | None) -> int:
    """Send the pending texts (one claim and one commit each); returns how many this worker claimed."""
    if not sms_gateway.configured(config):
        return 0
    claimed = 0
    for message_id in due_ids(session, now):
        if not claim(session, message_id, now):
            continue
        claimed += 1
        _send_one(session, config, message_id, now, status_callback)
    return claimed


def record_status(session: Session, sid: str, provider_status: str, now: datetime, error: str | None = None) -> bool:
    """Store a delivery callback for the text ``sid``; False for an unknown sid. Commits."""
    row = session.scalar(select(SmsMessage).where(SmsMessage.provider_sid == sid))
    if row is None:
        return False
    row.provider_status = provider_status[:30]
    if provider_status in FINAL_STATUSES:
        row.status = FINAL_STATUSES[provider_status]
    if error:
        row.error = error[:500]
    row.status_at = now
    session.commit()
    return True


def opt_out(session: Session, phone: str, now: datetime) -> None:
    """STOP: no more texts to ``phone`` (its pending ones are cancelled). The caller commits."""
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone_e164=phone, stopped_at=now))
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.to_number == phone, SmsMessage.status.in_((SmsStatus.PENDING, SmsStatus.STORED)))
        .values(status=SmsStatus.CANCELLED, status_at=now)
        .execution_options(synchronize_session=False)
    )


def opt_in(session: Session, phone: str) -> None:
    """START: texts to ``phone`` may resume. The caller commits."""
    session.execute(delete(SmsOptOut).where(SmsOptOut.phone_e164 == phone))
