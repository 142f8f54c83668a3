"""Guests: up to 5 per call, each invited (ICS ``ATTENDEE``), told of reschedules and cancellations,
never given the manage link; bad guest lists are refused clearly and book nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.booking import service
from closerhub.booking.commands import Guest
from closerhub.booking.models import Appointment
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, lead_data, setting, snapshot
from tests.integration.test_booking_emails import invite_of
from tests.integration.test_booking_pages import key, prospect_form

__all__ = ["frozen", "setting"]

GUESTS = [{"name": "Gus Guest", "email": "Gus@Example.com"}, {"name": "Gwen Guest", "email": "gwen@example.com"}]


def rows(template: str) -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {
        m.to_address: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    }


def guests_of(rows: list[dict[str, str]]) -> tuple[Guest, ...]:
    """Guest rows (as the API's JSON gives them) as the booking request's guests."""
    return tuple(Guest(name=row["name"], email=row["email"]) for row in rows)


def test_each_guest_receives_the_invite_and_hears_of_a_reschedule_and_a_cancellation(setting: dict[str, Any]) -> None:
    call = book(setting["offer"], guests=guests_of([*GUESTS, {"name": "Gus again", "email": "gus@example.com"}]))
    assert call.guests == [{"name": "Gus Guest", "email": "gus@example.com"}, GUESTS[1]]  # deduplicated
    booked = rows("appointment_booked")
    assert {"gus@example.com", "gwen@example.com", "paula@example.com"} <= set(booked)
    guest = booked["gus@example.com"]
    assert guest.subject.startswith("Booked: your call with Claire Closer")
    assert "Paula Prospect invited you" in guest.text_body
    assert (
        "/appointments/manage/" not in guest.text_body
        and "/appointments/manage/" in booked["paula@example.com"].text_body
    )
    content_type, calendar = invite_of(guest)
    assert "method=REQUEST" in content_type
    attendees = {str(a).lower() for a in calendar.walk("VEVENT")[0].get("attendee")}
    assert {"mailto:gus@example.com", "mailto:gwen@example.com", "mailto:paula@example.com"} <= attendees

    service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(2), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    assert {"gus@example.com", "gwen@example.com"} <= set(rows("appointment_rescheduled"))
    service.cancel(db.session, call, actor=None, actor_label="prospect", reason="No longer needed", now=NOW)
    cancelled = rows("appointment_cancelled")
    assert {"gus@example.com", "gwen@example.com"} <= set(cancelled)
    assert "method=CANCEL" in invite_of(cancelled["gwen@example.com"])[0]


@pytest.mark.parametrize(
    ("guests", "field"),
    [
        ([{"name": f"G{i}", "email": f"g{i}@example.com"} for i in range(6)], "guests"),
        ([{"name": "Me", "email": "PAULA@example.com"}], "guests[0].email"),
        ([{"name": "", "email": "g@example.com"}], "guests[0].name"),
        ([{"name": "G", "email": "not-an-address"}], "guests[0].email"),
    ],
)
def test_a_bad_guest_list_is_refused_and_books_nothing(
    setting: dict[str, Any], guests: list[dict[str, str]], field: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        book(setting["offer"], guests=guests_of(guests))
    assert field in refused.value.field_errors
    assert snapshot() == before


def test_the_api_takes_guests_and_answers_them(client: FlaskClient, setting: dict[str, Any]) -> None:
    body = {
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": lead_data(),
        "answers": {"What is your monthly revenue?": "20k"},
        "guests": GUESTS,
    }
    created = client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": key(setting)})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["guests"] == [{"name": "Gus Guest", "email": "gus@example.com"}, GUESTS[1]]
    refused = client.post(
        "/api/v1/appointments",
        json=body | {"start": "2026-06-02T09:00:00Z", "guests": [{"name": "X", "email": "paula@example.com"}]},
        headers={"X-Booking-Key": key(setting)},
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "guests[0].email" in {e["field"] for e in refused.get_json()["errors"]}


@pytest.mark.parametrize(
    "guests",
    ["g@example.com", [{"name": "G"}], [{"name": "G", "email": "g@example.com", "role": "boss"}], {"email": "g@x.io"}],
)
def test_guests_of_the_wrong_shape_are_a_422_from_the_api_and_book_nothing(
    client: FlaskClient, setting: dict[str, Any], guests: Any
) -> None:
    """Not a list of ``{name, email}`` (the service can no longer be handed one: its guests are typed)."""
    before = snapshot()
    body = {"start": "2026-06-02T07:00:00Z", "channel": "video", "lead": lead_data(), "guests": guests}
    refused = client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": key(setting)})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert any(e["field"].startswith("guests") for e in refused.get_json()["errors"]), refused.get_json()
    assert snapshot() == before


def test_the_booking_page_lets_the_prospect_add_guests(client: FlaskClient, setting: dict[str, Any]) -> None:
    page = client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z").get_data(as_text=True)
    assert page.count('name="guest_email"') == 5
    form = prospect_form() | {"guest_name": ["Gus Guest", ""], "guest_email": ["gus@example.com", ""]}
    response = client.post(f"/book/{key(setting)}/confirm?tz=America/New_York", data=form)
    assert response.status_code == 302
    assert db.session.scalars(select(Appointment)).one().guests == [{"name": "Gus Guest", "email": "gus@example.com"}]
    assert "gus@example.com" in rows("appointment_booked")
