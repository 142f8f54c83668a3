"""The closers' slot cache (``closers.slot_cache``) behind the booking page: the second read of the same
week is served from memory, and what changes a closer's slots (a booking, a cancellation, a
reschedule, a rule change, a calendar sync) changes what the page offers on the very next read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, url_for

from closerhub import clock
from closerhub.booking import service
from closerhub.booking.models import AppointmentStatus
from closerhub.booking.pages import page_data
from closerhub.booking.pages.display import slot_links
from closerhub.calendars import service as service_calendars
from closerhub.calendars import sync
from closerhub.closers import slot_cache
from closerhub.closers.commands import WeeklyWindow
from closerhub.closers.rules import busy_intervals, rules_for
from closerhub.core.slots import free_slots_for_dates
from closerhub.extensions import db
from tests.fakes.radicale import IcsServer
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, set_hours, setting
from tests.integration.calendar_support import event, vcalendar

__all__ = ["frozen", "setting"]  # fixtures

FIRST, LAST = date(2026, 6, 1), date(2026, 6, 7)  # the week of NOW, read in Paris
TUESDAY_10 = TUESDAY_9 + timedelta(hours=1)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    slot_cache.clear()
    yield
    slot_cache.clear()


def offered(setting: dict[str, Any]) -> list[Any]:
    """The starts the booking page offers this week (what ``offer_day_slots`` groups)."""
    return page_data._offer_starts(
        db.session, setting["offer"], zone="Europe/Paris", first=FIRST, last=LAST, now=NOW, closer_id=None, without=None
    )


def computed(setting: dict[str, Any]) -> tuple[list[Any], int]:
    """``offered``, and how many closer-weeks the engine had to expand for it (cache misses)."""
    misses = slot_cache.stats["misses"]
    starts = offered(setting)
    return starts, slot_cache.stats["misses"] - misses


def test_a_second_read_is_served_from_the_cache_and_equals_the_engine(setting: dict[str, Any]) -> None:
    first, cold = computed(setting)
    second, warm = computed(setting)
    assert cold >= 1 and warm == 0  # the engine ran once, then the week came from memory
    assert second == first
    closer = setting["closer"]
    rules = rules_for(db.session, closer).for_call(*setting["offer"].call)
    busy = busy_intervals(db.session, closer.id, NOW - timedelta(days=3), NOW + timedelta(days=10), now=clock.utcnow())
    engine = free_slots_for_dates(
        rules, busy, now=NOW, viewer_zone="Europe/Paris", from_date=FIRST, to_date=LAST
    )  # the engine alone, no cache
    assert first == [s.start for s in engine]
    assert TUESDAY_9 in first
    later, _ = computed(setting)  # the clock moving does not change an entry: notice is applied after
    assert later == first


def test_a_booking_and_its_cancellation_change_the_slots_on_the_next_read(setting: dict[str, Any]) -> None:
    assert TUESDAY_9 in offered(setting)
    appointment = book(setting["offer"], TUESDAY_9)
    starts, misses = computed(setting)
    assert TUESDAY_9 not in starts and misses >= 1
    service.cancel(db.session, appointment, actor=None, actor_label="system", reason=None, now=NOW)
    assert appointment.status == AppointmentStatus.CANCELLED
    starts, _ = computed(setting)
    assert TUESDAY_9 in starts  # free again


def test_a_reschedule_frees_the_old_slot_and_takes_the_new_one(setting: dict[str, Any]) -> None:
    appointment = book(setting["offer"], TUESDAY_9)
    assert TUESDAY_9 not in offered(setting) and TUESDAY_10 in offered(setting)
    service.reschedule(
        db.session, appointment, start=TUESDAY_10, actor=None, actor_label="system", reason=None, now=NOW
    )
    starts = offered(setting)
    assert TUESDAY_9 in starts and TUESDAY_10 not in starts


def test_a_rule_change_changes_the_slots_on_the_next_read(setting: dict[str, Any]) -> None:
    assert TUESDAY_9 in offered(setting)
    set_hours(setting["closer"], weekly=tuple(WeeklyWindow(d, "13:00", "17:00") for d in range(5)))
    starts, misses = computed(setting)
    assert misses >= 1
    assert TUESDAY_9 not in starts  # 09:00 Paris is no longer in the closer's hours
    assert TUESDAY_9 + timedelta(hours=4) in starts  # 13:00 is


def test_a_calendar_sync_changes_the_slots_on_the_next_read(setting: dict[str, Any], ics_server: IcsServer) -> None:
    assert TUESDAY_9 in offered(setting)
    ics_server.body = vcalendar(event("dentist", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    connection = service_calendars.add_connection(
        db.session, setting["closer"], service_calendars.NewConnection(kind="ics", url=ics_server.url), now=NOW
    )
    sync.sync_connection(db.session, connection.id, NOW)
    starts, misses = computed(setting)
    assert TUESDAY_9 not in starts and misses >= 1
    assert TUESDAY_10 in starts
    ics_server.body = vcalendar().encode()  # the event is deleted from the closer's calendar
    sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=30))
    assert TUESDAY_9 in offered(setting)


def test_slot_links_read_as_url_for_writes_them(app: Flask) -> None:
    query = {"tz": "America/New_York", "closer": 7, "hours": None, "utm_source": "a b&c/é"}
    with app.test_request_context():
        link = slot_links("key-1", query)
        for start in ("2026-06-02T07:00:00Z", "2026-12-31T23:45:00Z"):
            assert link(start) == url_for("booking_public.confirm", key="key-1", start=start, **query)
