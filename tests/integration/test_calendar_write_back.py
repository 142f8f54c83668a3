"""Write-back: booked calls appear in the closer's chosen Radicale calendar, move with a
reschedule and go with a cancellation, through the outbox (retried, visible when failing)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from closerhub.booking import service as booking
from closerhub.calendars import service, sync, writeback
from closerhub.calendars.commands import CalendarChoice
from closerhub.calendars.models import CalendarConnection, CalendarWrite, ConnectionStatus, ExternalBusy, WriteStatus
from closerhub.extensions import db
from closerhub.secrets_box import seal
from tests.fakes.radicale import RadicaleServer
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, setting
from tests.integration.calendar_support import event, starts, vcalendar

__all__ = ["frozen", "setting"]  # fixtures

TUESDAY = date(2026, 6, 2)


def connect(closer: Any, radicale: RadicaleServer, password: str | None = None) -> int:
    data = service.NewConnection(
        kind="caldav",
        url=radicale.url + "/",
        username=radicale.username,
        password=password or radicale.password,
        write_bookings=True,
    )
    connection = service.add_connection(db.session, closer, data, now=NOW)
    sync.sync_connection(db.session, connection.id, NOW)
    return connection.id


def stored_start(radicale: RadicaleServer, calendar_url: str, uid: str) -> Any:
    text = radicale.get_event(calendar_url, uid)
    if text is None:
        return None
    event = next(iter(Calendar.from_ical(text).walk("VEVENT")))
    assert "ATTENDEE" not in event and "ORGANIZER" not in event  # no second invite from a scheduling server
    return event["DTSTART"].dt


def test_a_booking_appears_in_the_chosen_calendar_is_moved_on_reschedule_and_removed_on_cancel(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    work = radicale.make_calendar("work")
    connection_id = connect(closer, radicale)
    call = book(setting["offer"])
    assert db.session.scalars(select(CalendarWrite)).all() == []  # the booking itself does nothing more

    assert writeback.deliver_due(db.session, NOW) == 1
    assert stored_start(radicale, work, call.uid) == TUESDAY_9
    text = radicale.get_event(work, call.uid) or ""
    assert "Paula Prospect" in text and (call.meeting_url or "") in text.replace("\r\n ", "")

    # Read back on the next sync, our own event is recognised by its UID and not counted twice.
    sync.sync_connection(db.session, connection_id, NOW + timedelta(minutes=5))
    assert db.session.scalars(select(ExternalBusy)).all() == []

    call = db.session.merge(call)
    booking.reschedule(
        db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    assert writeback.deliver_due(db.session, NOW) == 1
    assert stored_start(radicale, work, call.uid) == TUESDAY_9 + hours(3)

    call = db.session.merge(call)
    booking.cancel(db.session, call, actor=None, actor_label="prospect", reason="No longer needed", now=NOW)
    assert writeback.deliver_due(db.session, NOW) == 1
    assert radicale.get_event(work, call.uid) is None
    assert writeback.deliver_due(db.session, NOW) == 0  # nothing left to do: every job runs twice without effect


def test_a_failing_write_back_is_retried_with_backoff_then_left_failed_and_visible(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    radicale.make_calendar("work")
    connection_id = connect(closer, radicale)
    connection = db.session.get(CalendarConnection, connection_id)
    assert connection is not None and connection.status == ConnectionStatus.OK
    connection.secret_sealed = seal("revoked-app-password")  # the closer revoked the app password meanwhile
    db.session.commit()
    book(setting["offer"])
    now = NOW
    for attempt in range(1, writeback.MAX_ATTEMPTS + 1):
        assert writeback.deliver_due(db.session, now) == 0
        row = db.session.scalars(select(CalendarWrite)).one()
        assert row.attempts == attempt
        assert "password" in (row.last_error or "")
        if attempt < writeback.MAX_ATTEMPTS:
            assert row.status == WriteStatus.PENDING
            assert row.next_attempt_at == now + writeback.RETRIES.waits[attempt - 1]
            assert writeback.deliver_due(db.session, now) == 0 and row.attempts == attempt  # not due yet
            now = row.next_attempt_at
    assert row.status == WriteStatus.FAILED


def test_calls_booked_before_the_calendar_was_connected_are_written_once_it_is(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    call = book(setting["offer"])
    work = radicale.make_calendar("work")
    connect(setting["closer"], radicale)
    assert writeback.deliver_due(db.session, NOW) == 1
    assert stored_start(radicale, work, call.uid) == TUESDAY_9


def test_the_closer_chooses_which_calendars_block_and_which_one_receives_bookings(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    work, home = radicale.make_calendar("work"), radicale.make_calendar("home")
    radicale.put_event(home, "gym", vcalendar(event("gym", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")))
    connection_id = connect(closer, radicale)
    assert TUESDAY_9 not in starts(closer, TUESDAY)  # every calendar counts as busy at first
    connection = db.session.get(CalendarConnection, connection_id)
    assert connection is not None
    by_url = {c.url: c.id for c in connection.calendars}
    choice = CalendarChoice(busy_ids=frozenset({by_url[work]}), write_id=by_url[home])
    service.choose_calendars(db.session, closer, connection_id, choice, now=NOW)
    sync.sync_connection(db.session, connection_id, NOW)
    assert TUESDAY_9 in starts(closer, TUESDAY)  # home no longer blocks
    call = book(setting["offer"])
    writeback.deliver_due(db.session, NOW)
    assert stored_start(radicale, home, call.uid) == TUESDAY_9
    assert radicale.get_event(work, call.uid) is None
