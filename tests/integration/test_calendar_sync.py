"""Calendar sync against real servers: a Radicale CalDAV server and an ICS feed on loopback.

Busy time read from the closer's calendars removes exactly its slots (booking pages, API,
search summary), a booking over it is refused with alternatives, and a calendar that cannot
be read fails closed after the threshold, loudly (one email).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.slots import offer_slots
from closerhub.calendars import service, sync
from closerhub.calendars.models import CalendarConnection, ConnectionStatus, ExternalBusy
from closerhub.closers.models import AvailabilitySummary
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.fakes.radicale import IcsServer, RadicaleServer
from tests.integration.booking_setup import NOW, book, frozen, set_hours, setting
from tests.integration.calendar_support import event, starts, vcalendar

__all__ = ["frozen", "setting"]  # fixtures

TUESDAY = date(2026, 6, 2)
T9, T10, T11 = (datetime(2026, 6, 2, h, 0, tzinfo=UTC) for h in (7, 8, 9))  # 09:00, 10:00, 11:00 Paris


def caldav_connection(closer: Any, radicale: RadicaleServer, url: str | None = None, **kw: Any) -> CalendarConnection:
    data = service.NewConnection(
        kind="caldav",
        url=url or radicale.url + "/",
        username=radicale.username,
        password=kw.pop("password", radicale.password),
        **kw,
    )
    return service.add_connection(db.session, closer, data, now=NOW)


def ics_connection(closer: Any, feed: IcsServer) -> CalendarConnection:
    return service.add_connection(db.session, closer, service.NewConnection(kind="ics", url=feed.url), now=NOW)


def test_a_busy_caldav_event_hides_exactly_its_slots_and_deleting_it_brings_them_back_after_a_sync(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    work = radicale.make_calendar("work")
    radicale.put_event(
        work, "dentist", vcalendar(event("dentist", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z"))
    )
    before = starts(closer, TUESDAY)
    assert T9 in before
    connection = caldav_connection(closer, radicale)
    synced = sync.sync_connection(db.session, connection.id, NOW)
    assert synced is not None and synced.status == ConnectionStatus.OK, synced.last_error
    assert starts(closer, TUESDAY) == [s for s in before if s != T9]  # exactly the 09:00 slot
    assert [
        s.start
        for s in offer_slots(
            db.session, setting["offer"], viewer_zone="UTC", from_date=TUESDAY, to_date=TUESDAY, now=NOW
        )
    ] == [s for s in before if s != T9]
    summary = db.session.get(AvailabilitySummary, closer.id)
    assert summary is not None and summary.next_available_at != T9

    radicale.delete_event(work, "dentist")
    sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=5))
    assert starts(closer, TUESDAY) == before


def test_a_weekly_event_with_one_exception_across_the_autumn_dst_change_blocks_the_right_utc_instants(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    set_hours(closer, horizon_days=200)
    work = radicale.make_calendar("work")
    weekly = event(
        "standup",
        "DTSTART;TZID=Europe/Paris:20261006T140000",
        "DTEND;TZID=Europe/Paris:20261006T150000",
        "RRULE:FREQ=WEEKLY;COUNT=6",
    )
    moved = event(
        "standup",
        "DTSTART;TZID=Europe/Paris:20261020T160000",
        "DTEND;TZID=Europe/Paris:20261020T170000",
        "RECURRENCE-ID;TZID=Europe/Paris:20261020T140000",
    )
    radicale.put_event(work, "standup", vcalendar(weekly, moved))
    connection = caldav_connection(closer, radicale)
    assert sync.sync_connection(db.session, connection.id, NOW).status == ConnectionStatus.OK  # type: ignore[union-attr]
    rows = db.session.scalars(select(ExternalBusy.starts_at).order_by(ExternalBusy.starts_at)).all()
    utc = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    # 14:00 Paris is 12:00 UTC in summer time and 13:00 UTC after Sunday 25 October; 20 October moved to 16:00.
    assert rows == [
        utc(2026, 10, 6, 12),
        utc(2026, 10, 13, 12),
        utc(2026, 10, 20, 14),
        utc(2026, 10, 27, 13),
        utc(2026, 11, 3, 13),
        utc(2026, 11, 10, 13),
    ]
    assert utc(2026, 10, 27, 13) not in starts(closer, date(2026, 10, 27))
    assert utc(2026, 10, 20, 12) in starts(closer, date(2026, 10, 20))  # the original time of the moved one is free


def test_a_wrong_caldav_password_gives_status_error_with_a_clear_message_and_changes_nothing_else(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    radicale.make_calendar("work")
    before = starts(closer, TUESDAY)
    connection = caldav_connection(closer, radicale, password="not-the-password")
    synced = sync.sync_connection(db.session, connection.id, NOW)
    assert synced is not None and synced.status == ConnectionStatus.ERROR
    assert "refused the user name or password" in (synced.last_error or "")
    assert "not-the-password" not in (synced.last_error or "")
    assert starts(closer, TUESDAY) == before
    assert db.session.scalars(select(ExternalBusy)).all() == []


def test_a_caldav_url_of_one_calendar_reads_only_that_calendar(
    setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    closer = setting["closer"]
    work, home = radicale.make_calendar("work"), radicale.make_calendar("home")
    radicale.put_event(home, "gym", vcalendar(event("gym", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")))
    connection = caldav_connection(closer, radicale, url=work)
    synced = sync.sync_connection(db.session, connection.id, NOW)
    assert synced is not None and [c.url for c in synced.calendars] == [work]
    assert T9 in starts(closer, TUESDAY)


def test_an_ics_feed_blocks_slots_skipping_cancelled_and_free_events_reading_floating_times_in_the_closer_zone(
    setting: dict[str, Any], ics_server: IcsServer
) -> None:
    closer = setting["closer"]
    before = starts(closer, TUESDAY)
    ics_server.body = vcalendar(
        event("floating", "DTSTART:20260602T100000", "DTEND:20260602T110000"),  # 10:00 Paris wall time
        event("cancelled", "DTSTART:20260602T090000Z", "DTEND:20260602T100000Z", "STATUS:CANCELLED"),
        event("free", "DTSTART:20260602T100000Z", "DTEND:20260602T110000Z", "TRANSP:TRANSPARENT"),
        event("holiday", "DTSTART;VALUE=DATE:20260603", "DTEND;VALUE=DATE:20260604"),
    ).encode()
    connection = ics_connection(closer, ics_server)
    assert sync.sync_connection(db.session, connection.id, NOW).status == ConnectionStatus.OK  # type: ignore[union-attr]
    assert starts(closer, TUESDAY) == [s for s in before if s != T10]
    assert starts(closer, date(2026, 6, 3)) == []  # the all-day event blocks Wednesday in Paris
    assert starts(closer, date(2026, 6, 4)) != []


def test_booking_over_calendar_busy_time_is_refused_with_the_nearest_free_alternatives(
    setting: dict[str, Any], ics_server: IcsServer
) -> None:
    closer = setting["closer"]
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    sync.sync_connection(db.session, ics_connection(closer, ics_server).id, NOW)
    with pytest.raises(SlotUnavailable) as refused:
        book(setting["offer"], start=T9)
    assert T9 not in [a.start for a in refused.value.alternatives]
    assert len(refused.value.alternatives) == 3


def test_our_own_written_back_call_is_not_counted_twice(setting: dict[str, Any], ics_server: IcsServer) -> None:
    closer = setting["closer"]
    appointment = book(setting["offer"], start=T9)
    ics_server.body = vcalendar(event(appointment.uid, "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    sync.sync_connection(db.session, ics_connection(closer, ics_server).id, NOW)
    assert db.session.scalars(select(ExternalBusy)).all() == []


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"", "No calendar at this address"),
        (200, b"this is not a calendar", "not valid iCalendar data"),
        (200, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n", "not valid iCalendar data"),
    ],
)
def test_a_missing_or_malformed_feed_gives_status_error_and_keeps_the_busy_time_read_before(
    setting: dict[str, Any], ics_server: IcsServer, status: int, body: bytes, message: str
) -> None:
    closer = setting["closer"]
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    connection = ics_connection(closer, ics_server)
    sync.sync_connection(db.session, connection.id, NOW)
    ics_server.status, ics_server.body = status, body
    synced = sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=5))
    assert synced is not None and synced.status == ConnectionStatus.ERROR
    assert message in (synced.last_error or "")
    assert T9 not in starts(closer, TUESDAY)


def test_a_huge_feed_is_refused(app: Any, setting: dict[str, Any], ics_server: IcsServer) -> None:
    app.config["CALENDAR_MAX_BYTES"] = 1024
    try:
        ics_server.body = vcalendar(
            *(event(f"e{i}", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z") for i in range(50))
        ).encode()
        synced = sync.sync_connection(db.session, ics_connection(setting["closer"], ics_server).id, NOW)
    finally:
        app.config["CALENDAR_MAX_BYTES"] = 5 * 1024 * 1024
    assert synced is not None and synced.status == ConnectionStatus.ERROR
    assert "larger than" in (synced.last_error or "")


def test_a_calendar_that_stops_answering_fails_closed_after_the_threshold_and_emails_the_closer_once(
    setting: dict[str, Any], ics_server: IcsServer
) -> None:
    closer = setting["closer"]
    before = starts(closer, TUESDAY)
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    connection = ics_connection(closer, ics_server)
    sync.sync_connection(db.session, connection.id, NOW)
    ics_server.answering = False

    later = NOW + timedelta(minutes=30)
    with clock.frozen_at(later):
        sync.sync_connection(db.session, connection.id, later)
        assert starts(closer, TUESDAY, later) == [s for s in before if s != T9]  # within the threshold: still offered

    late = NOW + timedelta(minutes=95)  # more than an hour after the first failure
    with clock.frozen_at(late):
        synced = sync.sync_connection(db.session, connection.id, late)
        assert synced is not None and synced.status == ConnectionStatus.ERROR
        assert starts(closer, TUESDAY, late) == []
        assert (
            offer_slots(db.session, setting["offer"], viewer_zone="UTC", from_date=TUESDAY, to_date=TUESDAY, now=late)
            == []
        )
        summary = db.session.get(AvailabilitySummary, closer.id)
        assert summary is not None and summary.next_available_at is None
        sync.sync_connection(db.session, connection.id, late + timedelta(minutes=5))
        emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "calendar_unreadable")).all()
        assert [e.to_address for e in emails] == [closer.email]

        service.set_keep_offering(db.session, closer, True, now=late)
        assert starts(closer, TUESDAY, late) == [s for s in before if s != T9]
        service.set_keep_offering(db.session, closer, False, now=late)
        assert starts(closer, TUESDAY, late) == []

        ics_server.answering = True
        assert sync.sync_connection(db.session, connection.id, late).status == ConnectionStatus.OK  # type: ignore[union-attr]
        assert starts(closer, TUESDAY, late) == [s for s in before if s != T9]


def test_the_worker_job_reads_due_connections_once(setting: dict[str, Any], ics_server: IcsServer) -> None:
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    ics_connection(setting["closer"], ics_server)
    assert sync.sync_due(db.session, NOW) == 1
    assert sync.sync_due(db.session, NOW + timedelta(minutes=1)) == 0  # read a minute ago: not due
    assert sync.sync_due(db.session, NOW + timedelta(minutes=5)) == 1
    assert len(ics_server.requests_seen) == 2


def test_a_quiet_ics_feed_answers_304_to_its_etag_and_the_busy_time_is_kept(
    setting: dict[str, Any], ics_server: IcsServer
) -> None:
    ics_server.etags = True
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    connection = ics_connection(setting["closer"], ics_server)
    sync.sync_connection(db.session, connection.id, NOW)
    again = sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=5))
    assert again is not None and again.status == ConnectionStatus.OK
    assert ics_server.not_modified == 1
    assert T9 not in starts(setting["closer"], TUESDAY)
    ics_server.body = vcalendar().encode()  # the event was deleted: a new ETag, read in full
    sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=10))
    assert ics_server.not_modified == 1 and T9 in starts(setting["closer"], TUESDAY)
