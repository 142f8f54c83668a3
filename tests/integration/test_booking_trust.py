"""Trust in booking: only active closers approved by vetting are offered or bookable (page, API, routing);
a suspended closer's booked future calls do not stay booked (reassigned or cancelled, see test_suspension_calls)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.admin import users as admin_users
from closerhub.booking import service
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.vetting import service as vetting
from closerhub.vetting.commands import VettingDecision
from tests.conftest import _logged_in
from tests.integration.booking_setup import TUESDAY_9, appointment_count, book, frozen, lead_data, setting

__all__ = ["frozen", "setting"]  # fixtures


def ask_changes(admin: Any, closer: Any) -> None:
    changes = VettingDecision("request_changes", reason="Add a real photo.")
    vetting.decide(db.session, admin, closer.id, changes, now=clock.utcnow())


def offer_slot_starts(setting: dict[str, Any]) -> list[Any]:
    day = TUESDAY_9.date()
    return [
        s.start
        for s in service.offer_slots(
            db.session, setting["offer"], viewer_zone="Europe/Paris", from_date=day, to_date=day, now=clock.utcnow()
        )
    ]


def test_a_closer_no_longer_approved_by_vetting_leaves_the_booking_page(
    client: FlaskClient, setting: dict[str, Any], admin_user: Any
) -> None:
    assert TUESDAY_9 in offer_slot_starts(setting)
    ask_changes(admin_user, setting["closer"])
    assert service.bookable_engagements(db.session, setting["offer"]) == []
    assert offer_slot_starts(setting) == []
    page = client.get(f"/book/{setting['offer'].booking_key}?tz=Europe/Paris").get_data(as_text=True)
    assert 'data-testid="no-slots"' in page and "data-slot-start" not in page


def test_the_public_api_refuses_to_book_a_closer_not_approved_by_vetting(
    client: FlaskClient, setting: dict[str, Any], admin_user: Any
) -> None:
    ask_changes(admin_user, setting["closer"])
    response = client.post(
        "/api/v1/appointments",
        json={
            "booking_key": setting["offer"].booking_key,
            "start": TUESDAY_9.isoformat(),
            "channel": "video",
            "lead": lead_data(),
        },
    )
    assert response.status_code == 409 and response.get_json()["code"] == "no_closer"
    assert appointment_count() == 0


def test_booking_a_named_engagement_of_an_unapproved_closer_is_refused(
    setting: dict[str, Any], admin_user: Any
) -> None:
    ask_changes(admin_user, setting["closer"])
    try:
        book(setting["offer"], engagement_id=setting["engagement"].id)
    except service.ValidationError as exc:
        assert "engagement_id" in exc.field_errors
    else:
        raise AssertionError("an unapproved closer was booked")
    assert appointment_count() == 0


def test_a_suspended_closer_is_not_offered_and_their_booked_calls_do_not_stay_booked(
    app: Flask, client: FlaskClient, setting: dict[str, Any], admin_user: Any
) -> None:
    call = book(setting["offer"])
    admin_users.suspend(db.session, admin_user, setting["closer"].id, "Chargebacks under review", now=clock.utcnow())
    assert offer_slot_starts(setting) == []
    assert 'data-testid="no-slots"' in client.get(f"/book/{setting['offer'].booking_key}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED  # nobody else could take it
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "appointment_cancelled")).all()
    assert setting["owner"].email in [m.to_address for m in emails]


def test_a_call_of_an_active_closer_is_not_flagged(app: Flask, setting: dict[str, Any]) -> None:
    call = book(setting["offer"], start=TUESDAY_9 + timedelta(days=1))
    html = _logged_in(app, setting["owner"]).get(f"/appointments/{call.id}").get_data(as_text=True)
    assert 'data-testid="closer-suspended"' not in html
