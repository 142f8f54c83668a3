"""No double booking under real concurrency: many HTTP clients book the same slot of a live, threaded server.

Runs on the test database of the run (SQLite by default, PostgreSQL with
``CLOSERHUB_TEST_DB_URL``). The last test removes the guard (database constraint or
triggers, and the locks and the busy check, patched out by ``booking_seams.remove_booking_guard``:
the server runs in this process) and holds the first two requests between the service's check
and its insert (a barrier wrapped around ``guard.write_booking``) until both have checked: they
then both insert, every time. That is the race the guarded tests face, so they would catch a
broken guard.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from closerhub.booking.models import (
    OVERLAP_CONSTRAINT_NAME,
    SQLITE_TRIGGERS,
    Appointment,
    AppointmentStatus,
    install_overlap_guard,
)
from closerhub.extensions import db
from tests.fixtures.browser import LiveServer
from tests.integration.booking_seams import before_each_write, remove_booking_guard
from tests.integration.booking_setup import TUESDAY_9, book, frozen, hours, lead_data, set_hours, setting

__all__ = ["frozen", "setting"]  # fixtures

CLIENTS = 50


def _post(url: str, body: dict[str, Any], gate: threading.Barrier) -> tuple[int, dict[str, Any]]:
    gate.wait(timeout=30)  # release every client at once
    request = urllib.request.Request(  # noqa: S310  (loopback test server)
        f"{url}/api/v1/appointments",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def fire(server: LiveServer, bodies: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """POST every body at once from its own thread; the answers in order."""
    gate = threading.Barrier(len(bodies))
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        futures = [pool.submit(_post, server.url, body, gate) for body in bodies]
        return [f.result() for f in futures]


def body(offer: Any, start: datetime, n: int) -> dict[str, Any]:
    return {
        "booking_key": offer.booking_key,
        "start": start.isoformat(),
        "channel": "video",
        "lead": lead_data(email=f"prospect{n}@example.com"),
    }


def booked() -> list[tuple[datetime, datetime]]:
    db.session.rollback()
    rows = db.session.execute(
        select(Appointment.starts_at, Appointment.blocked_until)
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.starts_at)
    )
    return [(s, e) for s, e in rows]


def assert_no_overlap(ranges: list[tuple[datetime, datetime]]) -> None:
    for (_, end), (next_start, _) in pairwise(ranges):
        assert end <= next_start, ranges


@pytest.fixture
def race(app: Flask, setting: dict[str, Any], live_server: LiveServer) -> Iterator[dict[str, Any]]:
    # 50 clients from one address: lift the public booking limit (booking key, no token) for this app only.
    app.config["BOOKING_RATE_LIMIT"] = "1000 per minute"
    db.session.commit()
    yield {**setting, "server": live_server}


def test_fifty_clients_booking_one_slot_get_exactly_one_appointment(race: dict[str, Any]) -> None:
    answers = fire(race["server"], [body(race["offer"], TUESDAY_9, n) for n in range(CLIENTS)])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), statuses
    refusals = [data for status, data in answers if status == 409]
    assert {r["code"] for r in refusals} == {"slot_unavailable"}
    assert all(len(r["alternatives"]) == 3 for r in refusals)
    assert booked() == [(TUESDAY_9, TUESDAY_9 + hours(1))]


def test_overlapping_slots_of_different_lengths_never_double_book(race: dict[str, Any]) -> None:
    offer, closer = race["offer"], race["closer"]
    book(offer)  # a 60-minute call, 09:00-10:00 Paris
    set_hours(closer, slot_minutes=30, buffer_minutes=15)  # now 15 minutes apart
    offer.call_minutes = offer.start_increment_minutes = 30  # and the offer's calls last 30 minutes
    starts = [
        TUESDAY_9 + timedelta(minutes=30),  # inside the 60-minute call
        TUESDAY_9 + hours(1.5),  # 10:30-11:00, blocks until 11:15
        TUESDAY_9 + hours(2),  # 11:00-11:30: inside 10:30's buffer, and the reverse
    ]
    db.session.commit()
    answers = fire(race["server"], [body(offer, starts[n % 3], n) for n in range(CLIENTS)])
    assert sorted(s for s, _ in answers).count(201) == 1, [s for s, _ in answers]
    ranges = booked()
    assert len(ranges) == 2 and ranges[0] == (TUESDAY_9, TUESDAY_9 + hours(1))
    assert ranges[1][0] in starts[1:] and ranges[1][1] - ranges[1][0] == timedelta(minutes=45)
    assert_no_overlap(ranges)


@pytest.fixture
def without_guard(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop the database guard and bypass the lock and check; restore the guard afterwards."""
    engine = db.engine
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ALTER TABLE appointments DROP CONSTRAINT {OVERLAP_CONSTRAINT_NAME}")
        else:
            for statement in SQLITE_TRIGGERS:
                name = statement.split()[2]
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
    remove_booking_guard(monkeypatch)
    try:
        yield
    finally:
        db.session.rollback()
        with engine.begin() as conn:  # the overlapping rows must go before the guard can come back
            conn.execute(delete(Appointment.__table__))
            install_overlap_guard(conn)


def first_two_meet_between_check_and_insert(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first two requests past the check wait for each other before inserting (the others go on).

    PostgreSQL only: on SQLite every API write runs under the database's write lock from its
    first statement (``routing.begin_write_transaction``), so requests cannot meet there; without
    the check and the triggers they then book the taken slot one after the other.
    """
    if db.engine.dialect.name != "postgresql":
        return
    arrivals, both_checked = itertools.count(), threading.Barrier(2)

    def meet() -> None:
        if next(arrivals) < 2:
            both_checked.wait(timeout=30)  # broken (a 500) if a guard still serializes them

    before_each_write(monkeypatch, meet)


def test_without_the_guard_the_same_race_double_books(
    race: dict[str, Any], without_guard: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_two_meet_between_check_and_insert(monkeypatch)
    answers = fire(race["server"], [body(race["offer"], TUESDAY_9, n) for n in range(10)])
    assert [s for s, _ in answers].count(201) >= 2
    assert len(booked()) >= 2  # the proof that the race exists and the guarded tests can fail
