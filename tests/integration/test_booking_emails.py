"""Booking emails: who gets what, in which zone and language, with which ICS invite (real SMTP and the outbox)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.booking import notify
from closerhub.booking.lookup import appointment_for_token
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus, Channel
from closerhub.businesses.models import BusinessMember, MemberRole
from closerhub.extensions import db
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world
from tests.fixtures.smtp import SmtpServer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York, 16:00 Paris, 15:00 London, 00:00 (6th) Tokyo


@pytest.fixture
def world(make_user: Any) -> BookingWorld:
    with clock.frozen_at(NOW):
        w = make_world(make_user, closer_zone="Europe/Paris", closer_language="fr", owner_zone="Europe/London")
        add_member(w, "Tomo Team", "tomo@acme.example", "Asia/Tokyo")
    return w


def add_member(world: BookingWorld, name: str, email: str, zone: str, *, active: bool = True) -> User:
    """A second member of the business (made with the models: the team service is not under test)."""
    user = User(
        email=email,
        name=name,
        password_hash="!",
        role=Role.BUSINESS,
        status=AccountStatus.ACTIVE if active else AccountStatus.SUSPENDED,
        timezone=zone,
        language="en",
        created_at=NOW,
    )
    db.session.add(user)
    db.session.add(BusinessMember(business_id=world.business.id, user=user, role=MemberRole.MEMBER, created_at=NOW))
    db.session.commit()
    return user


def booking_rows(template: str) -> dict[str, OutboxMessage]:
    """The outbox messages of ``template`` by recipient."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    return {m.to_address: m for m in rows}


def invite_of(message: OutboxMessage) -> tuple[str, Calendar]:
    (data,) = message.attachments
    attachment = Attachment.from_json(data)
    assert isinstance(attachment.content, bytes)
    return attachment.content_type, Calendar.from_ical(attachment.content)


def ics_messages(server: SmtpServer, count: int, timeout: float = 10.0) -> list[EmailMessage]:
    """Wait for ``count`` received messages that carry a calendar part (sign-up emails are ignored)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in server.messages if any(p.get_content_type() == "text/calendar" for p in m.walk())]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_booking_emails_prospect_closer_and_each_member_in_their_zone_and_language_over_smtp(
    world: BookingWorld, smtp_server: SmtpServer
) -> None:
    lead = make_lead(world, name="Lea Lead", email="lea@prospect.example", timezone="America/New_York")
    appt = make_appointment(world, lead, start=START)
    with clock.frozen_at(NOW):
        notify.appointment_booked(db.session, appt, now=clock.utcnow())
        db.session.commit()  # the outbox sends after the commit

    received = {m["To"]: m for m in ics_messages(smtp_server, 4)}
    assert set(received) == {"lea@prospect.example", world.closer.email, world.owner.email, "tomo@acme.example"}

    def text(address: str) -> str:
        body = received[address].get_body(preferencelist=("plain",))
        assert body is not None
        return body.get_content()

    prospect = text("lea@prospect.example")
    assert "Tuesday, January 5, 2027, 10:00 AM–10:45 AM" in prospect
    assert "4:00 PM for the closer, Claire Closer (Paris)" in prospect
    assert "https://meet.closerhub.app/room-abc123" in prospect
    assert str(received["lea@prospect.example"]["Subject"]).strip().startswith("Booked: your call with Claire Closer")

    closer = text(world.closer.email)  # French: dates and times in the closer's language
    assert "mardi 5 janvier 2027, 16:00–16:45" in closer and "Europe/Paris" not in closer
    assert "10:00 pour le prospect, Lea Lead (New York)" in closer

    owner = text(world.owner.email)
    assert "15:00–15:45" in owner  # English in London: a 24-hour clock (en_GB)
    assert "10:00 for the prospect, Lea Lead (New York)" in owner
    assert "16:00 for the closer, Claire Closer (Paris)" in owner

    tokyo = text("tomo@acme.example")  # the next day there: the others' times carry their own date
    assert "Wednesday, January 6, 2027, 12:00 AM–12:45 AM" in tokyo
    assert "Tue, Jan 5, 10:00 AM for the prospect, Lea Lead (New York)" in tokyo

    for message in received.values():
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"
        event = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
        assert event.decoded("DTSTART") == START and str(event["UID"]) == appt.uid


def test_the_other_partys_time_is_left_out_where_the_readers_clock_reads_the_same(world: BookingWorld) -> None:
    # In January Berlin and Paris both read UTC+1: a Berlin member is not told the closer's time again.
    add_member(world, "Bea Berlin", "bea@acme.example", "Europe/Berlin")
    lead = make_lead(world, name="Paul Paris", email="paul@prospect.example", timezone="Europe/Paris")
    appt = make_appointment(world, lead, start=START)
    with clock.frozen_at(NOW):
        notify.appointment_booked(db.session, appt, now=clock.utcnow())
        db.session.commit()
    mails = {address: m.text_body for address, m in booking_rows("appointment_booked").items()}
    assert "for the closer" not in mails["bea@acme.example"] and "for the prospect" not in mails["bea@acme.example"]
    assert "for the closer" not in mails["paul@prospect.example"]  # the prospect is in Paris too
    assert "pour le prospect" not in mails[world.closer.email]
    london = mails[world.owner.email]  # London's clock differs: both are named, by city
    assert (
        "16:00 for the prospect, Paul Paris (Paris)" in london
        and "16:00 for the closer, Claire Closer (Paris)" in london
    )


def test_the_prospects_email_carries_a_working_manage_link_and_the_others_a_link_to_the_appointment(
    world: BookingWorld,
) -> None:
    appt = make_appointment(world, make_lead(world, email="lea@prospect.example"), start=START)
    notify.appointment_booked(db.session, appt, now=clock.utcnow())
    db.session.commit()
    rows = booking_rows("appointment_booked")
    prospect = rows["lea@prospect.example"].text_body
    link = next(line for line in prospect.splitlines() if "/appointments/manage/" in line).strip()
    assert link.startswith("http://localhost/appointments/manage/")
    assert appointment_for_token(db.session, link.rsplit("/", 1)[1]).id == appt.id
    assert f"http://localhost/appointments/{appt.id}" in rows[world.closer.email].text_body
    assert f"http://localhost/appointments/{appt.id}" in rows[world.owner.email].text_body
    assert "/appointments/manage/" not in rows[world.owner.email].text_body  # the signed link is the prospect's


def test_languages_are_recorded_per_recipient_and_suspended_members_get_nothing(
    world: BookingWorld,
) -> None:
    add_member(world, "Sue Spended", "sue@acme.example", "Europe/Berlin", active=False)
    lead = make_lead(world, email="lea@prospect.example", language="fr", timezone="Europe/Brussels")
    appt = make_appointment(world, lead, start=START)
    notify.appointment_booked(db.session, appt, now=clock.utcnow())
    db.session.commit()
    rows = booking_rows("appointment_booked")
    assert {a: m.language for a, m in rows.items()} == {
        "lea@prospect.example": "fr",
        world.closer.email: "fr",
        world.owner.email: "en",
        "tomo@acme.example": "en",
    }
    assert "mardi 5 janvier 2027, 16:00–16:45" in rows["lea@prospect.example"].text_body  # Brussels = Paris time


def test_a_reschedule_notice_says_before_and_now_and_its_invite_has_the_same_uid_and_next_sequence(
    world: BookingWorld,
) -> None:
    lead = make_lead(world, email="lea@prospect.example", timezone="America/New_York")
    appt = make_appointment(world, lead, start=START)
    previous = appt.starts_at
    new_start = START + timedelta(days=1, hours=2)
    appt.starts_at, appt.ends_at = new_start, new_start + timedelta(minutes=45)
    appt.blocked_until, appt.sequence, appt.reschedule_count = appt.ends_at, 1, 1
    appt.events.append(
        AppointmentEvent(
            kind="rescheduled",
            at=NOW,
            actor_label="prospect",
            from_start=previous,
            to_start=new_start,
            reason="Travelling",
        )
    )
    notify.appointment_rescheduled(db.session, appt, previous, now=clock.utcnow())
    db.session.commit()

    rows = booking_rows("appointment_rescheduled")
    assert set(rows) == {"lea@prospect.example", world.closer.email, world.owner.email, "tomo@acme.example"}
    body = rows["lea@prospect.example"].text_body
    assert "Before: Tuesday, January 5, 2027, 10:00 AM" in body
    assert "Wednesday, January 6, 2027, 12:00 PM–12:45 PM" in body
    assert "Moved by: the prospect" in body and "Reason: Travelling" in body
    assert rows["lea@prospect.example"].subject.startswith("Moved: your call with Claire Closer is now")
    for message in rows.values():
        content_type, cal = invite_of(message)
        assert "method=REQUEST" in content_type
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == appt.uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == new_start


def test_a_cancel_notice_carries_a_cancel_invite_and_the_reason(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world, email="lea@prospect.example"), start=START, channel=Channel.PHONE)
    appt.status, appt.cancelled_at, appt.cancel_reason, appt.sequence = (
        AppointmentStatus.CANCELLED,
        NOW,
        "Budget frozen",
        1,
    )
    appt.events.append(AppointmentEvent(kind="cancelled", at=NOW, actor_label="business", from_start=START))
    notify.appointment_cancelled(db.session, appt, now=clock.utcnow())
    db.session.commit()

    rows = booking_rows("appointment_cancelled")
    assert set(rows) == {"lea@prospect.example", world.closer.email, world.owner.email, "tomo@acme.example"}
    prospect = rows["lea@prospect.example"]
    assert prospect.subject.startswith("Cancelled: your call with Claire Closer")
    assert "Cancelled by: the business" in prospect.text_body
    assert "Budget frozen" not in prospect.text_body  # the business's reason is internal
    assert "Reason: Budget frozen" in rows[world.owner.email].text_body
    assert "Claire Closer calls Lea Lead at +12125550123." in prospect.text_body  # the phone plan, for reference
    assert "/appointments/manage/" not in prospect.text_body  # nothing left to manage
    for message in rows.values():
        content_type, cal = invite_of(message)
        assert "method=CANCEL" in content_type
        assert str(cal["METHOD"]) == "CANCEL"
        event = cal.walk("VEVENT")[0]
        assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == appt.uid and int(event["SEQUENCE"]) == 1


def test_notices_are_only_queued_so_a_rollback_sends_nothing(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world), start=START)
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    notify.appointment_booked(db.session, appt, now=clock.utcnow())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert db.session.get(Appointment, appt.id) is not None
