"""What closers read from the packages above them, through what the app factory registers: a
closer's busy time (``closers.rules.add_busy_source``: booking's calls, then calendars' busy
times) and their track record (``closers.service.set_track_record``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from closerhub import clock
from closerhub.booking.busy import BOOKED_CALLS
from closerhub.calendars.busy import CALENDAR_BUSY
from closerhub.closers import rules as closer_rules
from closerhub.closers import service as closers_service
from closerhub.closers.stats import CloserStats
from closerhub.extensions import db
from closerhub.outcomes.track_record import closer_stats
from tests.factories_booking import make_appointment, make_lead, make_world

SINCE = datetime(2026, 6, 1, tzinfo=UTC)


def test_booking_then_calendars_are_the_registered_busy_sources(app: Flask) -> None:
    assert closer_rules._sources() == (BOOKED_CALLS, CALENDAR_BUSY)


@pytest.mark.parametrize("many", [False, True])
def test_a_booked_call_is_busy_only_through_bookings_source(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch, many: bool
) -> None:
    world = make_world(make_user)
    call = make_appointment(world, make_lead(world), start=SINCE + timedelta(hours=1), minutes=60)
    until = SINCE + timedelta(hours=4)

    def busy() -> list[tuple[datetime, datetime]]:
        if many:
            found = closer_rules.busy_intervals_many(db.session, {world.closer.id: (SINCE, until)}, now=clock.utcnow())[
                world.closer.id
            ]
        else:
            found = closer_rules.busy_intervals(db.session, world.closer.id, SINCE, until, now=clock.utcnow())
        return [(b.start, b.end) for b in found]

    assert busy() == [(call.starts_at, call.ends_at)]
    monkeypatch.setitem(app.extensions, "closerhub.closers.busy_sources", [CALENDAR_BUSY])
    assert busy() == []  # closers know no appointments of their own


def test_a_closers_card_reads_the_track_record_the_app_registered(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    closer = make_user("closer")
    assert app.extensions["closerhub.closers.track_record"] is closer_stats
    card = closers_service.find_closer(db.session, closer.id, closer, clock.utcnow())
    assert card.stats == CloserStats()
    seen = CloserStats(appointments=7, show_rate=1.0)
    monkeypatch.setitem(app.extensions, "closerhub.closers.track_record", lambda session, closer_id: seen)
    assert closers_service.find_closer(db.session, closer.id, closer, clock.utcnow()).stats is seen
