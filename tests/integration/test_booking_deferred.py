"""The booking's cheap path: one outbox event expanded by the worker into email intents, rendered by the worker.

The rest of the suite handles outbox events and renders booking emails inline
(``EMAIL_RENDER_INLINE`` defaults to on under ``TESTING``); these tests switch it off to run
what production runs: the request stores one ``appointment.booked`` event, the worker's outbox
job expands it into ``to_render`` rows (``handle_due_events``), then renders them
(``render_pending``). ``test_booking_outbox_event`` covers the event itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from closerhub import clock
from closerhub.booking import notify, service
from closerhub.closers.models import AvailabilitySummary
from closerhub.closers.rules import busy_intervals, rules_for
from closerhub.closers.summary import compute_summary
from closerhub.extensions import db
from closerhub.notifications.events import handle_due_events
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxEvent, OutboxMessage, OutboxStatus
from closerhub.notifications.service import render_pending
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, set_hours, setting

__all__ = ["frozen", "setting"]  # fixtures


@pytest.fixture
def deferred(app: Flask) -> None:
    app.config["EMAIL_RENDER_INLINE"] = False


def rows(template: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id))
    )


def expand() -> int:
    """The worker's first step: the outbox events due now, expanded."""
    return handle_due_events(db.session, NOW)


def event_of(message: OutboxMessage) -> Any:
    (data,) = message.attachments
    return Calendar.from_ical(Attachment.from_json(data).content).walk("VEVENT")[0]


def test_a_booking_stores_one_unrendered_row_per_recipient_and_the_worker_renders_them(
    deferred: None, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    assert rows("appointment_booked") == []  # the request stored one event, no email row
    assert [e.kind for e in db.session.scalars(select(OutboxEvent))] == ["appointment.booked"]
    assert expand() == 1
    queued = rows("appointment_booked")
    assert {m.to_address for m in queued} == {"paula@example.com", setting["closer"].email, setting["owner"].email}
    assert {(m.status, m.subject, m.text_body, len(m.attachments)) for m in queued} == {
        (OutboxStatus.TO_RENDER, "", "", 0)
    }
    assert all(m.render_context["params"]["appointment_id"] == call.id for m in queued)

    assert render_pending(db.session, NOW) == 3
    rendered = {m.to_address: m for m in rows("appointment_booked")}
    assert {m.status for m in rendered.values()} == {OutboxStatus.STORED}  # no MAIL_SERVER in tests
    prospect = rendered["paula@example.com"]
    assert prospect.subject.startswith("Booked: your call with")
    assert "9:00 AM" in prospect.text_body and "/manage/" in prospect.text_body  # in the prospect's zone
    event = event_of(prospect)
    assert event.decoded("DTSTART") == TUESDAY_9 and int(event["SEQUENCE"]) == 0 and str(event["UID"]) == call.uid
    assert render_pending(db.session, NOW) == 0  # a second worker run finds nothing left to render


def test_a_confirmation_rendered_after_a_quick_reschedule_still_shows_the_booked_time_and_sequence(
    deferred: None, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    moved_to = TUESDAY_9 + hours(3)
    service.reschedule(db.session, call, start=moved_to, actor=None, actor_label="prospect", reason="Clash", now=NOW)
    render_pending(db.session, NOW)

    (booked,) = [m for m in rows("appointment_booked") if m.to_address == "paula@example.com"]
    (moved,) = [m for m in rows("appointment_rescheduled") if m.to_address == "paula@example.com"]
    assert (event_of(booked).decoded("DTSTART"), int(event_of(booked)["SEQUENCE"])) == (TUESDAY_9, 0)
    assert (event_of(moved).decoded("DTSTART"), int(event_of(moved)["SEQUENCE"])) == (moved_to, 1)
    assert "Clash" in moved.text_body
    assert booked.id < moved.id  # sent in the order they happened


def test_a_rolled_back_booking_leaves_no_email_intent(deferred: None, setting: dict[str, Any]) -> None:
    call = book(setting["offer"])
    expand()
    render_pending(db.session, NOW)
    before = len(rows("appointment_cancelled"))
    notify.appointment_cancelled(db.session, call, now=clock.utcnow())
    db.session.rollback()
    assert len(rows("appointment_cancelled")) == before == 0


def test_a_row_that_cannot_be_rendered_is_marked_failed_and_the_others_still_render(
    deferred: None, setting: dict[str, Any]
) -> None:
    book(setting["offer"])
    expand()
    broken = OutboxMessage(
        to_address="x@example.com",
        cc=[],
        subject="",
        text_body="",
        html_body="",
        attachments=[],
        template="appointment_booked",
        language="en",
        message_id="<broken@closerhub.test>",
        status=OutboxStatus.TO_RENDER,
        attempts=0,
        created_at=NOW,
        render_context={"renderer": "no.such.renderer", "params": {}},
    )
    db.session.add(broken)
    db.session.commit()
    assert render_pending(db.session, NOW) == 4  # three rendered, one stored as failed
    row = db.session.get(OutboxMessage, broken.id)
    assert row.status == OutboxStatus.FAILED and "no.such.renderer" in row.last_error
    assert {m.status for m in rows("appointment_booked") if m.id != broken.id} == {OutboxStatus.STORED}


MONDAY_NOON_PARIS = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # the first slot after 4 h notice: next_available_at


@pytest.mark.parametrize(
    ("settings", "start"),
    [
        ({}, TUESDAY_9),
        ({}, MONDAY_NOON_PARIS),
        ({"buffer_minutes": 30}, TUESDAY_9 + hours(2)),
        ({"buffer_minutes": 15, "slot_minutes": 30}, MONDAY_NOON_PARIS),
        ({"max_per_day": 1}, TUESDAY_9 + hours(4)),
        ({"max_per_day": 2, "buffer_minutes": 60}, TUESDAY_9 + timedelta(days=6)),
    ],
)
def test_a_booking_leaves_the_search_summary_a_full_refresh_would_compute(
    setting: dict[str, Any], settings: dict[str, Any], start: datetime
) -> None:
    closer = setting["closer"]
    set_hours(closer, **settings)  # refreshes the summary at NOW
    book(setting["offer"], start)
    db.session.expire_all()
    row = db.session.get(AvailabilitySummary, closer.id)
    rules = rules_for(db.session, closer)
    busy = busy_intervals(
        db.session, closer.id, NOW - timedelta(days=2), NOW + timedelta(days=rules.horizon_days + 2), now=clock.utcnow()
    )
    full = compute_summary(rules, busy, NOW)
    assert (row.next_available_at, row.free_slots_7d, row.free_slots_14d) == (
        full["next_available_at"],
        full["free_slots_7d"],
        full["free_slots_14d"],
    )
    assert row.weekly_hours_mask == full["weekly_hours_mask"]


def test_retrying_a_message_whose_render_failed_renders_it_again_instead_of_sending_it_empty(
    deferred: None, setting: dict[str, Any]
) -> None:
    from closerhub.notifications.delivery import retry_message

    book(setting["offer"])
    expand()
    (first, *_rest) = rows("appointment_booked")
    first.render_context = {**first.render_context, "renderer": "gone.for.now"}
    db.session.commit()
    render_pending(db.session, NOW)
    assert db.session.get(OutboxMessage, first.id).status == OutboxStatus.FAILED
    row = db.session.get(OutboxMessage, first.id)
    row.render_context = {**row.render_context, "renderer": notify.RENDERER}  # fixed, as after a deploy
    db.session.commit()
    assert retry_message(db.session, first.id, NOW).status == OutboxStatus.TO_RENDER
    assert render_pending(db.session, NOW) == 1
    done = db.session.get(OutboxMessage, first.id)
    assert done.status == OutboxStatus.STORED and done.subject.startswith("Booked")
