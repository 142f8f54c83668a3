"""ICS invites and feeds, parsed back with ``icalendar``: the UTC instant, a stable UID, SEQUENCE, CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from closerhub.booking.calendar_files import ics
from closerhub.booking.models import AppointmentStatus, Channel
from closerhub.extensions import db
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
# 10:00 in New York (UTC-05:00) is 16:00 in Paris (UTC+01:00): 15:00 UTC.
START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(make_user: Any) -> BookingWorld:
    return make_world(make_user, closer_zone="Europe/Paris")


def parse(data: bytes) -> tuple[Calendar, Any]:
    """The calendar and its single event."""
    assert isinstance(data, bytes)
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def test_the_invite_has_the_right_utc_instant_uid_sequence_and_parties(world: BookingWorld) -> None:
    lead = make_lead(world, name="Lea Lead", timezone="America/New_York")
    appt = make_appointment(world, lead, start=START, minutes=45)
    cal, event = parse(ics.invite(appt, method="REQUEST", now=NOW))  # no frozen clock: DTSTAMP is the now passed

    assert str(cal["METHOD"]) == "REQUEST" and str(cal["VERSION"]) == "2.0"
    assert event.decoded("DTSTART") == START and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == START + timedelta(minutes=45)
    assert b"DTSTART:20270105T150000Z" in ics.invite(appt, method="REQUEST", now=NOW)  # written in UTC, no TZID
    assert str(event["UID"]) == appt.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP") == NOW  # the instant its caller passed
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Closing call: High-ticket coaching — Lea Lead with Claire Closer"
    assert str(event["ORGANIZER"]) == f"mailto:{world.closer.email}"
    attendees = {str(a) for a in event["ATTENDEE"]}
    assert attendees == {f"mailto:{lead.email}", f"mailto:{world.closer.email}"}
    description = str(event["DESCRIPTION"])
    assert "https://meet.closerhub.app/room-abc123" in description
    assert "10:00 AM (New York)" in description  # the prospect's local time
    assert "16:00 (Paris)" in description  # the closer's
    assert str(event["LOCATION"]) == "https://meet.closerhub.app/room-abc123"


def test_a_rescheduled_invite_keeps_the_uid_and_raises_the_sequence(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world), start=START)
    _, first = parse(ics.invite(appt, method="REQUEST", now=NOW))
    appt.starts_at, appt.ends_at = START + timedelta(days=1), START + timedelta(days=1, minutes=45)
    appt.blocked_until, appt.sequence = appt.ends_at, 1
    db.session.commit()
    _, second = parse(ics.invite(appt, method="REQUEST", now=NOW))
    assert str(second["UID"]) == str(first["UID"]) == appt.uid
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"])) == (0, 1)
    assert second.decoded("DTSTART") == START + timedelta(days=1)


def test_a_cancel_has_method_cancel_status_cancelled_and_the_same_uid(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world), start=START, sequence=2)
    appt.status, appt.cancelled_at = AppointmentStatus.CANCELLED, NOW
    db.session.commit()
    cal, event = parse(ics.invite(appt, method="cancel", now=NOW))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == appt.uid and int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == START
    assert "This call was cancelled." in str(event["DESCRIPTION"])


def test_a_summer_call_shows_both_summer_offsets(world: BookingWorld) -> None:
    summer = datetime(2027, 7, 6, 14, 0, tzinfo=UTC)  # 10:00 EDT, 16:00 CEST
    appt = make_appointment(world, make_lead(world, timezone="America/New_York"), start=summer)
    _, event = parse(ics.invite(appt, method="REQUEST", now=NOW))
    assert event.decoded("DTSTART") == summer
    description = str(event["DESCRIPTION"])
    assert "10:00 AM (New York)" in description
    assert "16:00 (Paris)" in description


def test_a_phone_call_names_who_calls_whom_at_which_number(world: BookingWorld) -> None:
    lead = make_lead(world, name="Lea Lead", phone="+12125550123")
    appt = make_appointment(world, lead, start=START, channel=Channel.PHONE)
    _, event = parse(ics.invite(appt, method="REQUEST", now=NOW))
    assert str(event["LOCATION"]) == "Claire Closer calls Lea Lead at +12125550123."
    assert "Phone call: Claire Closer calls Lea Lead at +12125550123." in str(event["DESCRIPTION"])
    assert "URL" not in event


def test_the_description_follows_the_language_asked_for(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world, timezone="America/New_York"), start=START)
    _, event = parse(ics.invite(appt, method="REQUEST", language="fr", now=NOW))
    assert "mardi 5 janvier 2027, 10:00 (New York)" in str(event["DESCRIPTION"])


def test_an_unknown_method_is_refused(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world), start=START)
    with pytest.raises(ValueError, match="method"):
        ics.invite(appt, method="PUBLISH", now=NOW)


def test_the_feed_is_a_named_calendar_without_method_and_keeps_cancelled_calls(world: BookingWorld) -> None:
    lead = make_lead(world)
    booked = make_appointment(world, lead, start=START)
    cancelled = make_appointment(world, lead, start=START + timedelta(hours=2), status=AppointmentStatus.CANCELLED)
    cal = Calendar.from_ical(ics.feed([booked, cancelled], name="CloserHub — Claire Closer", now=NOW))
    assert str(cal["X-WR-CALNAME"]) == "CloserHub — Claire Closer"
    assert "METHOD" not in cal  # a published calendar, not an iTIP message
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(minutes=15)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {booked.uid, cancelled.uid}
    assert str(events[booked.uid]["STATUS"]) == "CONFIRMED"
    assert str(events[cancelled.uid]["STATUS"]) == "CANCELLED"
    assert events[cancelled.uid].decoded("DTSTART") == START + timedelta(hours=2)
    assert all(e.decoded("DTSTAMP") == NOW for e in events.values())


def test_an_empty_feed_is_still_a_valid_calendar(world: BookingWorld) -> None:
    cal = Calendar.from_ical(ics.feed([], name="Empty", now=NOW))
    assert cal.walk("VEVENT") == [] and str(cal["PRODID"]) == ics.PRODID
