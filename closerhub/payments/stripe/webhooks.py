"""Stripe webhooks: store each event once, process it once, in one transaction.

Handlers are registered per event type with :func:`handles`; a handler gets the session,
the verified event and ``now``, changes rows, and never commits (the dispatcher does, in
the same transaction that marks the event processed). Feature modules that define
handlers are listed in ``HANDLER_MODULES`` so they are imported before the first dispatch.

Exactly once, also under concurrency: the event id is the primary key of
``stripe_events``. The first delivery inserts it; a concurrent duplicate blocks on the
unique index (PostgreSQL) or on the write lock (SQLite) and then finds the row. Processing
claims the row with ``UPDATE … WHERE processed_at IS NULL`` inside the transaction that
applies the handler, so a retry after a failed attempt runs the handler again, while a
replay of a processed event changes nothing.
"""

from __future__ import annotations

import enum
import importlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub.payments.stripe.models import StripeEvent
from closerhub.payments.stripe.results import WebhookEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, WebhookEvent, datetime], None]

_HANDLERS: dict[str, Handler] = {}

# Modules whose import registers handlers (charges and payouts add theirs here).
HANDLER_MODULES: list[str] = [
    "closerhub.payments.connect.service",
    "closerhub.payments.charges.webhooks",
    "closerhub.payments.payouts.events",
]
_loaded = False


def handles(event_type: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of ``event_type`` (one handler per type)."""

    def decorator(fn: Handler) -> Handler:
        existing = _HANDLERS.get(event_type)
        if existing is not None and existing is not fn and existing.__qualname__ != fn.__qualname__:
            raise RuntimeError(f"{event_type} already handled by {existing.__qualname__}")
        _HANDLERS[event_type] = fn
        return fn

    return decorator


def handler_for(event_type: str) -> Handler | None:
    """The registered handler of a type, or None (such events are stored and ignored)."""
    global _loaded
    if not _loaded:
        for name in HANDLER_MODULES:
            importlib.import_module(name)
        _loaded = True
    return _HANDLERS.get(event_type)


class Receipt(enum.StrEnum):
    """What happened to a delivery."""

    PROCESSED = "processed"  # a handler applied it now
    IGNORED = "ignored"  # stored; no handler for its type
    DUPLICATE = "duplicate"  # already processed: nothing done
    FAILED = "failed"  # the handler raised; stored with the error, to be retried


def receive_event(session: Session, event: WebhookEvent, now: datetime) -> Receipt:
    """Store a verified event (once) and process it (once). Commits."""
    try:
        session.add(
            StripeEvent(
                id=event.id,
                type=event.type,
                created=event.created,
                livemode=event.livemode,
                payload=event.payload,
                received_at=now,
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()  # a replay, or a concurrent delivery that won the insert
    return process_event(session, event, now)


def process_event(session: Session, event: WebhookEvent, now: datetime) -> Receipt:
    """Apply a stored event unless it was already processed. Commits (or rolls back)."""
    claimed = session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == event.id, StripeEvent.processed_at.is_(None))
        .values(attempts=StripeEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        session.rollback()
        return Receipt.DUPLICATE
    handler = handler_for(event.type)
    try:
        if handler is not None:
            handler(session, event, now)
        session.execute(
            update(StripeEvent)
            .where(StripeEvent.id == event.id)
            .values(processed_at=now, ignored=handler is None, error=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except Exception as exc:  # any handler failure: record it and let Stripe retry
        session.rollback()
        log.exception("stripe webhook %s (%s) failed", event.id, event.type)
        session.execute(
            update(StripeEvent)
            .where(StripeEvent.id == event.id, StripeEvent.processed_at.is_(None))
            .values(attempts=StripeEvent.attempts + 1, error=f"{type(exc).__name__}: {exc}"[:2000])
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return Receipt.FAILED
    return Receipt.IGNORED if handler is None else Receipt.PROCESSED


def retry_failed(session: Session, now: datetime, limit: int = 100) -> int:
    """Process stored events that have not been processed yet (a job can call this). Returns the count applied."""
    rows = session.scalars(
        select(StripeEvent.id).where(StripeEvent.processed_at.is_(None)).order_by(StripeEvent.created).limit(limit)
    ).all()
    done = 0
    for event_id in rows:
        stored = session.get(StripeEvent, event_id)
        if stored is None:
            continue
        payload = stored.payload
        event = WebhookEvent(
            id=stored.id,
            type=stored.type,
            created=stored.created,
            livemode=stored.livemode,
            data_object=dict(payload["data"]["object"]),
            payload=payload,
        )
        session.rollback()  # release the snapshot before claiming
        if process_event(session, event, now) in (Receipt.PROCESSED, Receipt.IGNORED):
            done += 1
    return done
