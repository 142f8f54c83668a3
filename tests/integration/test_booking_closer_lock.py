"""Bookings of one closer run one after the other (``booking.guard.lock_for_booking``).

Two requests booking the same closer at different times do not overlap, so the exclusion
constraint lets both through; what they read must still be what the other committed: the
closer's calls (the daily cap) and the search summary (the next free slot). Each test runs
two real threads with their own sessions; the first holds its transaction open after its
insert until the second is either waiting for a lock (PostgreSQL: seen in ``pg_locks``) or
done (it did not wait: the race the lock closes), so the interleaving is forced, not timed.
On PostgreSQL the closer's row lock makes the second wait; SQLite's write lock does the same
for every writer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from closerhub.booking import booked_event, guard, service
from closerhub.booking.commands import BookingRequest
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.closers.models import AvailabilitySummary
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from tests.integration.booking_setup import NOW, engage, frozen, lead_details, set_hours, setting
from tests.integration.test_engagements import make_offer

__all__ = ["frozen", "setting"]  # fixtures

S1 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 Paris: the first slot after 4 h notice
S2 = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
S3 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WAIT_SECONDS = 30  # only a bound for a broken run: the events decide the order


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


def _someone_waits_for_a_lock() -> bool:
    """PostgreSQL: a session of this database is blocked on a lock; SQLite: writers queue on the
    database's write lock, which the first booking holds, so the second is bound to wait."""
    if db.engine.dialect.name != "postgresql":
        return True
    with db.engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


def race(
    app: Flask, monkeypatch: pytest.MonkeyPatch, first: tuple[int, datetime], second: tuple[int, datetime]
) -> list[str]:
    """Book ``first`` (engagement id, start), which keeps its transaction open after its insert
    until the ``second`` booking waits for a lock or has finished; returns the errors (class names)."""
    second_arrived, second_done = threading.Event(), threading.Event()
    real_queue, real_write_lock = booked_event.queue_booked, guard.take_write_lock

    def hold(session: Any, appointment: Appointment, now: datetime) -> None:
        real_queue(session, appointment, now)  # the booking's last step before its commit
        if appointment.starts_at == first[1]:
            if not second_started.is_set():
                second_started.set()
                b.start()
            assert second_arrived.wait(WAIT_SECONDS), "the second booking never started"
            _until(lambda: second_done.is_set() or _someone_waits_for_a_lock(), "second booking waits or ends")

    def write_lock(session: Any) -> None:
        if threading.current_thread().name == "second":
            second_arrived.set()  # its first step: on SQLite it now queues for the write lock
        real_write_lock(session)

    monkeypatch.setattr(booked_event, "queue_booked", hold)
    monkeypatch.setattr(guard, "take_write_lock", write_lock)
    errors: list[str] = []
    second_started = threading.Event()

    def run(engagement_id: int, start: datetime, email: str) -> None:
        with app.app_context():
            try:
                offer = db.session.get(Engagement, engagement_id).offer
                request = BookingRequest(
                    start=start, channel="video", lead=lead_details(email=email), engagement_id=engagement_id
                )
                service.book(db.session, request, offer=offer, actor=None, via=BookedVia.BOOKING_PAGE, now=NOW)
            except Exception as exc:  # the second booking may be refused: that is what is measured
                errors.append(type(exc).__name__)
            finally:
                db.session.remove()
                if threading.current_thread().name == "second":
                    second_done.set()

    db.session.commit()
    db.session.remove()
    a = threading.Thread(target=run, args=(*first, "first@example.com"), name="first")
    b = threading.Thread(target=run, args=(*second, "second@example.com"), name="second")
    a.start()  # the second starts once the first has inserted its call (in ``hold``)
    a.join(timeout=2 * WAIT_SECONDS)
    b.join(timeout=2 * WAIT_SECONDS)
    assert second_started.is_set(), "the first booking never reached its insert"
    return errors


def test_two_bookings_on_one_engagement_leave_the_summary_pointing_at_a_free_slot(
    app: Flask, setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    closer_id, engagement_id = setting["closer"].id, setting["engagement"].id
    assert db.session.get(AvailabilitySummary, closer_id).next_available_at == S1
    errors = race(app, monkeypatch, (engagement_id, S1), (engagement_id, S2))
    assert errors == []
    db.session.expire_all()
    assert db.session.get(AvailabilitySummary, closer_id).next_available_at == S3  # S1 and S2 are booked


@pytest.mark.parametrize("locked", [True, False], ids=["closer locked", "lock removed"])
def test_two_engagements_of_one_closer_cannot_pass_the_daily_cap_together(
    app: Flask, setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    closer, owner = setting["closer"], setting["owner"]
    set_hours(closer, max_per_day=1)
    other = engage(owner, closer, make_offer(owner, "Second programme"))
    first, second = setting["engagement"].id, other.id
    postgres = db.engine.dialect.name == "postgresql"
    if not locked:  # show the race the lock closes: on PostgreSQL both calls get in
        monkeypatch.setattr(guard, "lock_for_booking", _no_lock)
    errors = race(app, monkeypatch, (first, S1), (second, S3))
    booked = db.session.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
    )
    if locked or not postgres:  # SQLite's write lock serializes every writer anyway
        assert booked == 1
        assert errors == ["SlotUnavailable"]
    else:
        assert booked == 2  # the daily cap of 1 is broken without the lock
        assert errors == []


def _no_lock(session: Any, **_: Any) -> bool:
    return False
