"""A booking's follow-up work leaves the request as ONE ``appointment.booked`` outbox event.

The request inserts the event in the booking's transaction; the worker's outbox job
(``notifications.events.handle_due_events``) expands it into the confirmation email intents
(prospect, closer, business members) and the closer's search summary. Nothing is lost while
no worker runs (the row waits); each event is expanded exactly once, even by two workers at
once; a handler that fails is retried with backoff, then marked failed.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking import booked_event, service
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.models import Appointment
from closerhub.closers.models import AvailabilitySummary
from closerhub.closers.rules import busy_intervals, rules_for
from closerhub.closers.summary import compute_summary
from closerhub.extensions import db
from closerhub.jobs import deliver_outbox
from closerhub.notifications import events
from closerhub.notifications.models import EventStatus, OutboxEvent, OutboxMessage, OutboxStatus
from tests.integration.booking_setup import (
    NOW,
    TUESDAY_9,
    book,
    frozen,
    hours,
    lead_details,
    second_closer,
    setting,
)

__all__ = ["frozen", "second_closer", "setting"]  # fixtures


@pytest.fixture
def worker_side(app: Flask) -> None:
    """Production: the request queues the event; only the worker expands it."""
    app.config["EMAIL_RENDER_INLINE"] = False


def all_events() -> list[OutboxEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def confirmations() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "appointment_booked").order_by(OutboxMessage.id)
        )
    )


def summary_columns(closer_id: int) -> tuple[Any, ...]:
    db.session.rollback()
    row = db.session.get(AvailabilitySummary, closer_id, populate_existing=True)
    assert row is not None
    return (row.next_available_at, row.free_slots_7d, row.free_slots_14d, row.refreshed_at)


def full_refresh_columns(closer_id: int, now: Any) -> tuple[Any, ...]:
    closer = db.session.get(User, closer_id)
    rules = rules_for(db.session, closer)
    busy = busy_intervals(
        db.session, closer_id, now - timedelta(days=2), now + timedelta(days=rules.horizon_days + 2), now=now
    )
    full = compute_summary(rules, busy, now)
    return (full["next_available_at"], full["free_slots_7d"], full["free_slots_14d"], now)


def test_a_booking_commits_one_event_and_nothing_is_lost_while_the_worker_is_down(
    worker_side: None, setting: dict[str, Any]
) -> None:
    closer_id = setting["closer"].id
    summary_before = summary_columns(closer_id)
    call = book(setting["offer"])

    (event,) = all_events()
    assert (event.kind, event.status, event.attempts, event.ref) == (
        "appointment.booked",
        EventStatus.PENDING,
        0,
        f"appointment:{call.id}",
    )
    assert event.params["appointment_id"] == call.id and event.params["closer_id"] == closer_id
    assert confirmations() == []  # no email row in the request
    assert summary_columns(closer_id) == summary_before  # the summary waits for the worker too

    # The worker comes back a day later: the event was kept, and is expanded then.
    later = NOW + timedelta(days=1)
    assert events.handle_due_events(db.session, later) == 1
    queued = confirmations()
    assert {m.to_address for m in queued} == {"paula@example.com", setting["closer"].email, setting["owner"].email}
    assert {m.status for m in queued} == {OutboxStatus.TO_RENDER}
    assert all(m.render_context["params"]["as_of"]["starts_at"] == TUESDAY_9.isoformat() for m in queued)
    assert summary_columns(closer_id) == full_refresh_columns(closer_id, later)
    (event,) = all_events()
    assert (event.status, event.attempts, event.handled_at) == (EventStatus.DONE, 1, later)
    assert events.handle_due_events(db.session, later) == 0  # handled once
    assert len(confirmations()) == 3


def test_the_worker_job_expands_renders_and_stores_the_confirmations(
    app: Flask, worker_side: None, setting: dict[str, Any]
) -> None:
    book(setting["offer"])
    db.session.commit()
    deliver_outbox(app)  # the job as the worker runs it: expand, render, deliver (no SMTP: stored)
    queued = confirmations()
    assert len(queued) == 3 and {m.status for m in queued} == {OutboxStatus.STORED}
    assert all(m.subject and m.text_body for m in queued)
    assert next(m for m in queued if m.to_address == "paula@example.com").subject.startswith("Booked")


def test_a_refused_or_rolled_back_booking_leaves_no_event(worker_side: None, setting: dict[str, Any]) -> None:
    book(setting["offer"])
    with pytest.raises(SlotUnavailable):
        book(setting["offer"], lead=lead_details(email="other@example.com"))  # the same slot
    assert len(all_events()) == 1

    call = db.session.get(Appointment, all_events()[0].params["appointment_id"])
    booked_event.queue_booked(db.session, call, NOW)  # queued, then the transaction rolls back
    db.session.rollback()
    assert len(all_events()) == 1


def test_two_workers_at_once_expand_each_event_exactly_once(
    app: Flask, worker_side: None, setting: dict[str, Any]
) -> None:
    for n in range(8):
        book(setting["offer"], TUESDAY_9 + hours(n), lead=lead_details(email=f"p{n}@example.com"))
    assert len(all_events()) == 8
    db.session.commit()

    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                start.wait(timeout=10)
                results.append(events.handle_due_events(session, NOW))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(results) == 8
    assert {(e.status, e.attempts) for e in all_events()} == {(EventStatus.DONE, 1)}
    queued = confirmations()
    assert len(queued) == 8 * 3  # each booking's three confirmations, once
    assert len({(m.to_address, m.render_context["params"]["appointment_id"]) for m in queued}) == 24


def test_a_failing_handler_keeps_the_event_for_a_retry_with_backoff_then_marks_it_failed(
    worker_side: None, setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    book(setting["offer"])

    def broken(session: Session, params: Any, now: Any) -> None:
        session.add(OutboxMessage(to_address="half@example.com"))  # a partial write, rolled back with the claim
        raise RuntimeError("renderer exploded")

    monkeypatch.setitem(events._HANDLERS, booked_event.KIND, broken)
    assert events.handle_due_events(db.session, NOW) == 0
    (event,) = all_events()
    assert (event.status, event.attempts) == (EventStatus.PENDING, 1)
    assert event.next_attempt_at == NOW + events.RETRY_BASE and "renderer exploded" in event.last_error
    assert confirmations() == []
    assert db.session.scalar(select(func.count()).where(OutboxMessage.to_address == "half@example.com")) == 0
    assert events.handle_due_events(db.session, NOW) == 0  # not due yet: not tried again
    assert all_events()[0].attempts == 1

    at = NOW
    for _ in range(events.MAX_ATTEMPTS - 1):
        at += timedelta(days=1)
        events.handle_due_events(db.session, at)
    (event,) = all_events()
    assert (event.status, event.attempts, event.next_attempt_at) == (EventStatus.FAILED, events.MAX_ATTEMPTS, None)
    monkeypatch.undo()
    assert events.handle_due_events(db.session, at + timedelta(days=1)) == 0  # failed stays failed


def test_a_reschedule_before_the_worker_ran_queues_the_confirmation_first(
    worker_side: None, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    (event,) = all_events()
    assert event.status == EventStatus.DONE  # expanded in the reschedule's transaction
    assert events.handle_due_events(db.session, NOW) == 0
    booked = confirmations()
    moved = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "appointment_rescheduled")))
    assert len(booked) == 3 and len(moved) == 3
    assert max(m.id for m in booked) < min(m.id for m in moved)


def test_inline_under_testing_the_event_is_handled_in_the_request(setting: dict[str, Any]) -> None:
    book(setting["offer"])
    (event,) = all_events()
    assert (event.status, event.attempts, event.handled_at) == (EventStatus.DONE, 1, NOW)
    assert len(confirmations()) == 3


def test_a_reschedule_does_not_wait_for_an_event_a_worker_is_expanding(
    worker_side: None, setting: dict[str, Any]
) -> None:
    """PostgreSQL: the worker holds the claimed row while it waits for the closer's lock, which a
    reschedule holds; the reschedule skips that row (``SKIP LOCKED``) instead of deadlocking."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes every writer: there is no row lock to skip")
    call = book(setting["offer"])
    (event,) = all_events()
    with db.engine.connect() as worker:  # a worker mid-claim: the row locked, not yet committed
        worker.execute(select(OutboxEvent.id).where(OutboxEvent.id == event.id).with_for_update())
        db.session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a wait would fail the test, not hang it
        service.reschedule(
            db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="x", now=NOW
        )
        worker.rollback()
    (event,) = all_events()
    assert event.status == EventStatus.PENDING  # left to the worker, which expands it next
    assert events.handle_due_events(db.session, NOW) == 1


def test_the_worker_refreshes_a_closers_summary_once_per_batch(
    worker_side: None, setting: dict[str, Any], second_closer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five bookings of one closer and one of another in a batch: two refreshes, each summary as a full
    recomputation after all of them; the confirmations are queued per booking as before."""
    closer_id = setting["closer"].id
    for n in range(5):
        book(setting["offer"], TUESDAY_9 + hours(n), lead=lead_details(email=f"p{n}@example.com"), closer_id=closer_id)
    book(setting["offer"], TUESDAY_9, lead=lead_details(email="q@example.com"), closer_id=second_closer.id)
    db.session.commit()
    refreshed: list[int] = []
    refresh = booked_event.refresh_summary

    def counted(session: Any, closer: int, now: Any, **kwargs: Any) -> Any:
        refreshed.append(closer)
        return refresh(session, closer, now, **kwargs)

    monkeypatch.setattr(booked_event, "refresh_summary", counted)
    later = NOW + timedelta(hours=1)
    assert events.handle_due_events(db.session, later) == 6
    assert sorted(refreshed) == sorted([closer_id, second_closer.id])
    assert summary_columns(closer_id) == full_refresh_columns(closer_id, later)
    assert summary_columns(second_closer.id) == full_refresh_columns(second_closer.id, later)
    assert len(confirmations()) == 6 * 3  # each booking's own: prospect, closer, owner

    # Outside a batch (a reschedule expanding a pending event, or inline) it refreshes at once, as before.
    refreshed.clear()
    events.once_per_batch(db.session, ("closer_summary", closer_id), lambda s, now: refreshed.append(-1), later)
    assert refreshed == [-1]
