"""Email delivery: after-commit hand-off, the worker's sweep, retries (see ``service`` for queueing).

Delivery after commit
---------------------
``queue_email`` only adds a rendered ``OutboxMessage`` to the caller's session; the
caller commits once, as every service does. The outbox row is the durable record, so a
message can never be lost, and nothing is sent for a transaction that rolls back.

To deliver promptly (a password reset link should not wait for the next worker run), a
``pending`` message is also noted in ``session.info``. A SQLAlchemy ``after_commit``
listener, registered once on the ``Session`` class (so it serves Flask-SQLAlchemy's
request session, the worker's and any plain session alike, in or out of a request),
reads the ids of the messages that really committed and hands them to a small
background thread pool. We chose this over a Flask ``after_request``/teardown hook
because services also commit outside requests (CLI, jobs, tests), and over sending
inside the hook because a slow or dead SMTP server would then stall the request.

- Rolled back: the noted messages are dropped on rollback; a message whose SAVEPOINT was
  rolled back is transient at commit time and skipped; a SAVEPOINT release (which also
  fires ``after_commit``) sends nothing until the outermost transaction commits.
- Exactly once: the background thread and ``deliver_pending`` (the worker, every 30 s)
  both go through ``_claim``: ``UPDATE … SET status='sending' WHERE id=:id AND status
  IN ('pending', lapsed 'sending') AND next_attempt_at <= :now``; only the deliverer whose
  update touched the row sends it, so two workers (or a worker and a web process) never
  send the same message twice. A claim is a lease: if its process dies mid-send, the
  row becomes due again when ``next_attempt_at`` passes (counted as an attempt). So a
  crash after the SMTP server accepted a message but before ``sent`` was recorded can
  send it again: at-least-once in that window, as with any SMTP client; the
  Message-ID stays the same, so receivers can tell.
- Failure: the row goes back to ``pending`` with exponential backoff (1, 2, 4, 8 min)
  and ``last_error``; after ``MAX_ATTEMPTS`` it is ``failed`` until an admin retries it.
  If the background send fails (process exits, server down), the worker picks it up.

SQLite: each claim or result is a short transaction whose first statement is the
``UPDATE`` (a read-then-write transaction in WAL mode can fail with ``SQLITE_BUSY``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, event, inspect, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from closerhub import clock
from closerhub.core.errors import Conflict, NotFound
from closerhub.core.i18n import _
from closerhub.core.retry import RetrySchedule
from closerhub.extensions import db
from closerhub.notifications.mailer import Attachment, DeliveryError, SmtpSender, SmtpSettings, build_message
from closerhub.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

RETRIES = RetrySchedule.doubling(timedelta(minutes=1), attempts=5)  # waits 1, 2, 4, 8 minutes
MAX_ATTEMPTS = RETRIES.max_attempts
CLAIM_LEASE = timedelta(minutes=15)  # far above MAIL_TIMEOUT: a live sender never loses its claim
_AFTER_COMMIT_KEY = "closerhub.outbox.after_commit"


def deliver_pending(session: Session, now: datetime, limit: int = 50) -> int:
    """Send up to ``limit`` due messages; returns how many the SMTP server accepted.

    For the worker (``now`` is ``clock.utcnow()`` there). Commits per message (claim, then
    result), so the session must hold no unsaved work. Without ``MAIL_SERVER`` it does nothing.
    """
    settings = SmtpSettings.from_config(current_app.config)
    if settings is None:
        return 0
    # A claim that lapsed during the last allowed attempt: its process died; give up on it.
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts >= MAX_ATTEMPTS,
        )
        .values(
            status=OutboxStatus.FAILED,
            next_attempt_at=None,
            last_error="Delivery was interrupted during the last attempt.",
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    session.commit()  # end the read before the claims (see the module docstring on SQLite)
    return _deliver_ids(session, ids, now, settings)


def retry_message(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Put a failed message back in the queue with a fresh set of attempts (an admin's action)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("Message not found."))
    if message.status != OutboxStatus.FAILED:
        raise Conflict(_("Only a failed message can be retried."), code="not_failed")
    settings = SmtpSettings.from_config(current_app.config)
    message.attempts = 0  # last_error stays visible until the next attempt says otherwise
    if message.render_context is not None and not message.text_body:
        # Its deferred render failed (nothing to send yet): the worker renders it again first.
        message.status, message.next_attempt_at = OutboxStatus.TO_RENDER, now
    else:
        message.status = OutboxStatus.PENDING if settings else OutboxStatus.STORED
        message.next_attempt_at = now if settings else None
        if settings:
            send_after_commit(session, message)
    session.commit()
    return message


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    id: int
    attempts: int  # after this claim: identifies it, so a stale deliverer cannot overwrite a newer one
    email: EmailMessage
    recipients: list[str]


def _due(now: datetime) -> ColumnElement[bool]:
    lapsed_or_due = or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    return and_(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        lapsed_or_due,
        OutboxMessage.attempts < MAX_ATTEMPTS,
    )


def _claim(session: Session, message_id: int, now: datetime, sender: str) -> _Claim | None:
    """Take one due message for this deliverer, or ``None`` if someone else has it (or it is not due)."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + CLAIM_LEASE,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        session.rollback()
        return None
    row = session.execute(
        select(OutboxMessage).where(OutboxMessage.id == message_id).execution_options(populate_existing=True)
    ).scalar_one()
    try:
        email = build_message(
            sender=sender,
            to=row.to_address,
            cc=row.cc or [],
            subject=row.subject,
            text=row.text_body,
            html=row.html_body,
            message_id=row.message_id,
            date=now,
            attachments=[Attachment.from_json(a) for a in row.attachments or []],
        )
    except (ValueError, KeyError, TypeError) as exc:  # a row edited by hand, or data no MIME can carry
        row.status, row.next_attempt_at = OutboxStatus.FAILED, None
        row.last_error = f"Cannot build message: {exc}"
        session.commit()
        return None
    claim = _Claim(id=row.id, attempts=row.attempts, email=email, recipients=row.recipients)
    session.commit()
    return claim


def _finish(session: Session, claim: _Claim, **values: Any) -> None:
    done = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claim.id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempts == claim.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if done != 1:
        log.warning("Outbox message %s: claim lapsed before its result was recorded", claim.id)


def _deliver_ids(session: Session, ids: Sequence[int], now: datetime, settings: SmtpSettings) -> int:
    sent = 0
    with SmtpSender(settings) as smtp:
        for message_id in ids:
            claim = _claim(session, message_id, now, settings.sender)
            if claim is None:
                continue
            try:
                refused = smtp.send(claim.email, claim.recipients)
            except Exception as exc:  # a DeliveryError, or a bug: either way the row must not stay claimed
                if isinstance(exc, DeliveryError):
                    error = exc
                else:
                    log.exception("Outbox message %s: unexpected error while sending", claim.id)
                    error = DeliveryError(f"{type(exc).__name__}: {exc}")
                next_at = None if error.permanent else RETRIES.next_attempt_at(claim.attempts, now)
                _finish(
                    session,
                    claim,
                    status=OutboxStatus.FAILED if next_at is None else OutboxStatus.PENDING,
                    next_attempt_at=next_at,
                    last_error=str(error)[:2000],
                )
                log.warning("Outbox message %s not sent (attempt %s): %s", claim.id, claim.attempts, error)
                if error.server_down:
                    break  # the rest would fail the same way; they stay due, their attempts untouched
                continue
            if refused:
                log.warning("Outbox message %s: some recipients refused: %s", claim.id, refused)
            _finish(session, claim, status=OutboxStatus.SENT, sent_at=now, next_attempt_at=None, last_error=None)
            sent += 1
    return sent


# --- after-commit hand-off ---------------------------------------------------------------------


class _Background:
    """A small per-process thread pool for prompt delivery (recreated after a fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0
        self._futures: set[Future[None]] = set()

    def submit(self, app: Flask, ids: list[int]) -> None:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                # A pool inherited through fork has no threads: start a new one in this process.
                self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="outbox")
                self._pid, self._futures = os.getpid(), set()
            future = self._executor.submit(_deliver_in_background, app, ids)
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait(self, timeout: float) -> bool:
        with self._lock:
            futures = set(self._futures)
        return not wait_futures(futures, timeout=timeout).not_done


_background = _Background()


def wait_for_background_deliveries(timeout: float = 10.0) -> bool:
    """Block until the deliveries started after commits have finished; False on timeout (tests use it)."""
    return _background.wait(timeout)


def _deliver_in_background(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            settings = SmtpSettings.from_config(app.config)
            if settings is not None:
                _deliver_ids(db.session, ids, clock.utcnow(), settings)
        except Exception:  # never lost: the rows stay due and the worker sends them
            log.exception("Prompt delivery of outbox messages %s failed; the worker will retry", ids)
        finally:
            db.remove_session()


def send_after_commit(session: Session, message: OutboxMessage) -> None:
    """Note ``message`` for delivery once ``session``'s transaction commits (see the module docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append((app, message))


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released: the outer transaction may still roll back
    queued = session.info.pop(_AFTER_COMMIT_KEY, None)
    if not queued:
        return
    by_app: dict[Flask, list[int]] = {}
    for app, message in queued:
        state = inspect(message)
        # No identity: never flushed, or rolled back with its SAVEPOINT; nothing to send.
        if state.identity is None or state.was_deleted:
            continue
        by_app.setdefault(app, []).append(state.identity[0])
    for app, ids in by_app.items():
        _background.submit(app, ids)


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction is gone, and its messages with it
        session.info.pop(_AFTER_COMMIT_KEY, None)
