"""Outbox events: what a busy request leaves for the worker, as one row in its own transaction.

A booking inserts one ``appointment.booked`` row (``queue_event``) instead of doing, in the
request, the work that can follow its commit (an email intent per recipient, which needs the
business's members read; the closer's search-summary update). The row is as durable as the
booking and vanishes with it on rollback. The worker's outbox job (``handle_due_events``,
before it renders and delivers emails) expands each due row through the handler registered
for its kind (``register_event_handler``).

Exactly once, even with two workers: a row is claimed by a conditional
``UPDATE … SET status = 'done' WHERE id = … AND status = 'pending'`` in the same
transaction as everything its handler writes; the second worker's UPDATE waits for the
first to commit (PostgreSQL's row lock; SQLite's write lock), then matches nothing, so it
writes nothing. A handler that raises rolls its writes back with the claim; the row goes back
to ``pending`` with a later ``next_attempt_at`` (backoff), and is ``failed`` after the last
attempt, with the error, for an admin. While no worker runs the rows wait.

With ``OUTBOX_EVENTS_INLINE`` (default: as ``EMAIL_RENDER_INLINE``, on under ``TESTING``)
the row is handled at once, in the request's transaction, by the same code.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Insert, insert, select, update
from sqlalchemy.orm import Session

from closerhub.notifications.models import EventStatus, OutboxEvent
from closerhub.notifications.service import render_inline

log = logging.getLogger(__name__)

#: A handler writes what one event fans out to, in the caller's transaction (never commits).
Handler = Callable[[Session, Mapping[str, Any], datetime], None]
_HANDLERS: dict[str, Handler] = {}

#: Attempts before a row is ``failed``; the n-th retry waits RETRY_BASE × 2^(n-1).
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
#: Rows one worker run handles (the rest wait for the next run, 10 s later).
EVENT_BATCH = 500


@functools.cache
def _insert() -> Insert:
    """The event INSERT as a Core statement on the table (built once: no ORM unit of work)."""
    return insert(OutboxEvent.__table__)  # type: ignore[arg-type]


#: Work a handler asks for once per worker batch (``once_per_batch``): run with the session and ``now``.
FollowUp = Callable[[Session, datetime], None]
_BATCH = "outbox_events.follow_ups"  # session.info while ``handle_due_events`` runs a batch: key -> follow-up


def once_per_batch(session: Session, key: Hashable, follow_up: FollowUp, now: datetime) -> None:
    """Run ``follow_up`` once for the worker's batch, however many of its events ask for the same ``key``
    (e.g. one closer's search summary for ten bookings of theirs); at once outside a batch (inline,
    ``handle_pending_for``). In a batch it runs after the batch's events are committed, each in its own
    transaction; a follow-up must recompute from the database (a crash before it leaves only what the
    periodic jobs recompute anyway, such as the search summary)."""
    batch: dict[Hashable, FollowUp] | None = session.info.get(_BATCH)
    if batch is None:
        follow_up(session, now)
    else:
        batch.setdefault(key, follow_up)


def _run_follow_ups(session: Session, follow_ups: dict[Hashable, FollowUp], now: datetime) -> None:
    for key, follow_up in follow_ups.items():
        session.rollback()
        _write_transaction(session)
        try:
            follow_up(session, now)
            session.commit()
        except Exception:  # one closer's failure must not stop the others; the periodic job catches up
            log.exception("Outbox follow-up %r failed", key)
            session.rollback()


def register_event_handler(kind: str, handler: Handler) -> Handler:
    """Make ``handler`` expand events of ``kind`` (a feature module does this on import)."""
    _HANDLERS[kind] = handler
    return handler


def events_inline() -> bool:
    """``OUTBOX_EVENTS_INLINE``: handle events in the request (default: as ``EMAIL_RENDER_INLINE``)."""
    config = current_app.config
    return bool(config.get("OUTBOX_EVENTS_INLINE", render_inline()))


def pending_event_values(kind: str, params: dict[str, Any], now: datetime, *, ref: str | None = None) -> dict[str, Any]:
    """The row ``queue_event`` inserts for the worker (not inline), for a caller that sends its own INSERT
    (a booking writes it in the statement that writes the call: ``booking.write``)."""
    if kind not in _HANDLERS:
        raise ValueError(f"unknown outbox event kind {kind!r}")
    return {
        "kind": kind,
        "ref": ref,
        "params": params,
        "status": EventStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "handled_at": None,
    }


def queue_event(session: Session, kind: str, params: dict[str, Any], now: datetime, *, ref: str | None = None) -> None:
    """Add one ``kind`` event to the outbox in the caller's transaction (the caller commits).

    One INSERT (a prepared Core statement, no ORM object). Inline (tests, by default) the
    handler runs at once instead, in the same transaction, and the row is stored as done.
    """
    if kind not in _HANDLERS:
        raise ValueError(f"unknown outbox event kind {kind!r}")
    inline = events_inline()
    session.execute(
        _insert(),
        {
            "kind": kind,
            "ref": ref,
            "params": params,
            "status": EventStatus.DONE if inline else EventStatus.PENDING,
            "attempts": 1 if inline else 0,
            "next_attempt_at": None if inline else now,
            "last_error": None,
            "created_at": now,
            "handled_at": now if inline else None,
        },
    )
    if inline:
        _HANDLERS[kind](session, params, now)


def _claim(session: Session, event_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.status == EventStatus.PENDING)
        .values(status=EventStatus.DONE, handled_at=now, attempts=OutboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(claimed)


def _write_transaction(session: Session) -> None:
    """Start a transaction that holds the write lock from its first statement (SQLite: no read-then-write
    upgrade to deadlock with another worker's claim; PostgreSQL: nothing)."""
    session.connection(execution_options={"sqlite_immediate": True})


def _record_failure(session: Session, event_id: int, now: datetime, error: str) -> None:
    _write_transaction(session)
    attempts = session.scalar(select(OutboxEvent.attempts).where(OutboxEvent.id == event_id)) or 0
    attempts += 1
    last = attempts >= MAX_ATTEMPTS
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.status == EventStatus.PENDING)
        .values(
            attempts=attempts,
            last_error=error[:2000],
            status=EventStatus.FAILED if last else EventStatus.PENDING,
            next_attempt_at=None if last else now + RETRY_BASE * 2 ** (attempts - 1),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def handle_event(session: Session, event_id: int, now: datetime) -> bool:
    """Claim and expand one event in one transaction; True when this call handled it.

    False when it was not pending any more (another worker had it) or its handler failed (the
    failure is recorded; the row is retried later or marked failed).
    """
    session.rollback()  # a fresh transaction: the claim and the handler's writes commit together
    _write_transaction(session)
    kind_params = session.execute(
        select(OutboxEvent.kind, OutboxEvent.params).where(OutboxEvent.id == event_id)
    ).one_or_none()
    if kind_params is None:
        session.rollback()
        return False
    kind, params = kind_params
    try:
        if not _claim(session, event_id, now):
            session.rollback()
            return False
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise ValueError(f"unknown outbox event kind {kind!r}")
        handler(session, params or {}, now)
        session.commit()
    except Exception as exc:  # a bug or bad data in one event must not stop the others
        log.exception("Outbox event %s (%s) could not be handled", event_id, kind)
        session.rollback()
        _record_failure(session, event_id, now, f"{type(exc).__name__}: {exc}")
        return False
    return True


def handle_pending_for(session: Session, ref: str, now: datetime) -> int:
    """Expand, in the caller's transaction, the pending events about ``ref`` (oldest first); returns how many.

    A change that notifies (a reschedule, a cancel) calls this first, so what the earlier event
    fans out to (the booking's confirmations) is queued before its own notices, as they
    happened. The claim is the worker's: an event the worker handles meanwhile is skipped. A
    handler that fails here is rolled back to a savepoint and left to the worker.
    """
    # SKIP LOCKED (PostgreSQL): an event a worker is expanding right now is left to it. Waiting
    # for it could deadlock: the worker then waits for the closer's lock, which a reschedule holds.
    ids = list(
        session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.ref == ref, OutboxEvent.status == EventStatus.PENDING)
            .order_by(OutboxEvent.id)
            .with_for_update(skip_locked=True)
        )
    )
    handled = 0
    for event_id in ids:
        kind, params = session.execute(
            select(OutboxEvent.kind, OutboxEvent.params).where(OutboxEvent.id == event_id)
        ).one()
        handler = _HANDLERS.get(kind)
        if handler is None:
            continue
        try:
            with session.begin_nested():
                if _claim(session, event_id, now):
                    handler(session, params or {}, now)
                    handled += 1
        except Exception:  # the worker retries it and records the error
            log.exception("Outbox event %s (%s) could not be handled in the request", event_id, kind)
    return handled


def handle_due_events(session: Session, now: datetime, limit: int = EVENT_BATCH) -> int:
    """Expand up to ``limit`` due pending events, oldest first (the worker's outbox job); returns how many."""
    ids = list(
        session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.status == EventStatus.PENDING, OutboxEvent.next_attempt_at <= now)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )
    session.commit()
    follow_ups: dict[Hashable, FollowUp] = {}
    session.info[_BATCH] = follow_ups
    try:
        handled = sum(handle_event(session, event_id, now) for event_id in ids)
    finally:
        session.info.pop(_BATCH, None)
    _run_follow_ups(session, follow_ups, now)
    if handled:
        log.info("Handled %s outbox event(s) at %s", handled, now.isoformat())
    return handled
