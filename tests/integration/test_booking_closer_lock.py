"""Bookings of one closer run one after the other (``booking.guard.lock_for_booking``).

Two requests booking the same closer at different times do not overlap, so the exclusion
constraint lets both through; what they read must still be what the other committed: the
closer's calls (the daily cap) and the search summary (the next free slot). Each test runs
two real threads with their own sessions; the first holds its transaction open for a
moment after its insert, the second starts meanwhile. On PostgreSQL the closer's row lock
makes the second wait; SQLite's write lock does the same for every writer.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from closerhub.booking import guard, notify, service
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.closers.models import AvailabilitySummary
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from tests.integration.booking_setup import NOW, engage, frozen, lead_data, set_hours, setting
from tests.integration.test_engagements import make_offer

__all__ = ["frozen", "setting"]  # fixtures

S1 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 Paris: the first slot after 4 h notice
S2 = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
S3 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOLD_SECONDS = 1.5


def race(
    app: Flask, monkeypatch: pytest.MonkeyPatch, first: tuple[int, datetime], second: tuple[int, datetime]
) -> list[str]:
    """Book ``first`` (engagement id, start), which keeps its transaction open HOLD_SECONDS after its
    insert, and ``second`` starting meanwhile; returns the errors (class names)."""
    real = notify.appointment_booked

    def slow(session: Any, appointment: Appointment) -> None:
        real(session, appointment)
        if appointment.starts_at == first[1]:
            time.sleep(HOLD_SECONDS)

    monkeypatch.setattr(notify, "appointment_booked", slow)
    errors: list[str] = []

    def run(engagement_id: int, start: datetime, email: str) -> None:
        with app.app_context():
            try:
                offer = db.session.get(Engagement, engagement_id).offer
                service.book(
                    db.session,
                    offer=offer,
                    start=start,
                    lead=lead_data(email=email),
                    channel="video",
                    actor=None,
                    via=BookedVia.BOOKING_PAGE,
                    now=NOW,
                    engagement_id=engagement_id,
                )
            except Exception as exc:  # the second booking may be refused: that is what is measured
                errors.append(type(exc).__name__)
            finally:
                db.session.remove()

    db.session.commit()
    db.session.remove()
    a = threading.Thread(target=run, args=(*first, "first@example.com"))
    a.start()
    time.sleep(HOLD_SECONDS / 3)
    b = threading.Thread(target=run, args=(*second, "second@example.com"))
    b.start()
    a.join()
    b.join()
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
