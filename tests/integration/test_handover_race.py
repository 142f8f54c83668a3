"""A handed-back call and a new booking race for the same free closer: the booking guard lets one through.

Two real threads with their own sessions: one hands a call back (the only other closer is free
at that time), the other books that closer at that very time. A pause wrapped around the write
(``guard.write_booking``, patched) holds each between its check and its write, so both pass the
check before either writes. Guarded, the write lock (SQLite) or the closer's row lock (PostgreSQL)
makes the second re-check; with the locks and the busy check patched out
(``booking_seams.remove_booking_guard``), the database's overlap guard (trigger / exclusion
constraint) still refuses the second write, and a hand-back that loses chooses again: the call is
cancelled, never double-booked.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.changes import handover
from closerhub.booking.commands import BookingRequest
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from tests.integration.booking_seams import before_each_write, remove_booking_guard
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, lead_details, second_closer, setting

__all__ = ["frozen", "second_closer", "setting"]  # fixtures

PAUSE = 1.0


@pytest.mark.parametrize("hand_back_first", [True, False], ids=["hand-back first", "booking first"])
@pytest.mark.parametrize("unguarded", [False, True], ids=["guarded", "database only"])
def test_a_hand_back_and_a_booking_racing_for_one_closer_never_double_book_them(
    app: Flask,
    setting: dict[str, Any],
    second_closer: User,
    monkeypatch: pytest.MonkeyPatch,
    unguarded: bool,
    hand_back_first: bool,
) -> None:
    call = book(setting["offer"], closer_id=setting["closer"].id)
    closer_id, second_id, call_id = setting["closer"].id, second_closer.id, call.id
    second_engagement = db.session.scalar(select(Engagement.id).where(Engagement.closer_id == second_id))
    before_each_write(monkeypatch, lambda: time.sleep(PAUSE))
    if unguarded:
        remove_booking_guard(monkeypatch)
    outcomes: dict[str, str] = {}

    def hand_back() -> None:
        with app.app_context():
            try:
                appointment = db.session.get(Appointment, call_id)
                closer = db.session.get(User, closer_id)
                done = handover.hand_back(db.session, appointment, closer=closer, reason="Not for me", now=NOW)
                outcomes["hand_back"] = "reassigned" if done.reassigned else "cancelled"
            except Exception as exc:  # what is measured: whatever happens, no double booking
                outcomes["hand_back"] = type(exc).__name__
            finally:
                db.session.remove()

    def booking() -> None:
        with app.app_context():
            try:
                offer = db.session.get(Engagement, second_engagement).offer
                request = BookingRequest(
                    start=TUESDAY_9,
                    channel="video",
                    lead=lead_details(email="rival@example.com"),
                    engagement_id=second_engagement,
                )
                service.book(db.session, request, offer=offer, actor=None, via=BookedVia.BOOKING_PAGE, now=NOW)
                outcomes["booking"] = "booked"
            except Exception as exc:
                outcomes["booking"] = type(exc).__name__
            finally:
                db.session.remove()

    db.session.commit()
    db.session.remove()
    runs = [hand_back, booking] if hand_back_first else [booking, hand_back]
    threads = [threading.Thread(target=run) for run in runs]
    threads[0].start()
    time.sleep(PAUSE / 2)  # the second checks while the first pauses, and writes after it
    threads[1].start()
    for thread in threads:
        thread.join()

    booked_with_second = db.session.scalars(
        select(Appointment).where(
            Appointment.closer_id == second_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at == TUESDAY_9,
        )
    ).all()
    assert len(booked_with_second) == 1, outcomes  # one of the two got the closer, never both
    if booked_with_second[0].id == call_id:
        assert outcomes["hand_back"] == "reassigned"
        # Guarded, the booking re-checks and says so; unguarded, SQLite may also refuse its late lock upgrade.
        assert outcomes["booking"] in (
            {"SlotUnavailable"} if not unguarded else {"SlotUnavailable", "OperationalError"}
        )
    else:
        assert outcomes["booking"] == "booked"
        row = db.session.get(Appointment, call_id)
        if outcomes["hand_back"] == "cancelled":  # it found the closer taken (re-check, or the database refused)
            assert row.status == AppointmentStatus.CANCELLED
        else:  # unguarded SQLite only: its late lock upgrade failed, so nothing of it was written
            assert unguarded and db.engine.dialect.name == "sqlite" and outcomes["hand_back"] == "OperationalError"
            assert (row.status, row.closer_id) == (AppointmentStatus.BOOKED, closer_id)
