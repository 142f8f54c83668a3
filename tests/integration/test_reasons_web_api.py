"""The two fields (internal reason, message to the prospect) and the hand-back, on the web pages and the API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import _logged_in
from tests.integration.booking_setup import book, frozen, second_closer, setting, snapshot
from tests.integration.test_api_accounts import bearer, error_fields

__all__ = ["frozen", "second_closer", "setting"]  # fixtures

INTERNAL = "INTERNAL-closer-double-booked-himself"
PROSPECT = "paula@example.com"


def prospect_notice(template: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == template, OutboxMessage.to_address == PROSPECT)
    )


def test_the_call_page_asks_for_an_internal_reason_and_a_message_and_the_prospect_reads_only_the_message(
    app: Flask, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    business = _logged_in(app, setting["owner"])
    page = business.get(f"/appointments/{call.id}").get_data(as_text=True)
    assert "Internal reason" in page and 'name="message_to_prospect"' in page
    assert 'data-testid="hand-back"' not in page  # only the call's closer hands it back
    response = business.post(
        f"/appointments/{call.id}/cancel", data={"reason": INTERNAL, "message_to_prospect": "Sorry for the change."}
    )
    assert response.status_code == 302
    notice = prospect_notice("appointment_cancelled")
    assert INTERNAL not in notice.text_body + notice.html_body
    assert "Sorry for the change." in notice.text_body


def test_a_too_long_message_to_the_prospect_shows_the_form_again_and_changes_nothing(
    app: Flask, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    before = snapshot()
    response = _logged_in(app, setting["owner"]).post(
        f"/appointments/{call.id}/cancel", data={"reason": "x", "message_to_prospect": "y" * 1001}
    )
    assert response.status_code == 422 and "has-error" in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_closer_hands_a_call_back_from_its_page_and_another_closer_takes_it(
    app: Flask, setting: dict[str, Any], second_closer: User
) -> None:
    call = book(setting["offer"], closer_id=setting["closer"].id)
    closer = _logged_in(app, setting["closer"])
    assert 'data-testid="hand-back"' in closer.get(f"/appointments/{call.id}").get_data(as_text=True)
    response = closer.post(f"/appointments/{call.id}/hand-back", data={"reason": INTERNAL})
    assert response.status_code == 302 and response.headers["Location"].endswith("/schedule")
    db.session.expire_all()
    assert db.session.get(Appointment, call.id).closer_id == second_closer.id
    assert INTERNAL not in prospect_notice("appointment_reassigned").text_body
    assert closer.get(f"/appointments/{call.id}").status_code == 404  # no longer theirs


def test_a_hand_back_without_a_reason_shows_the_form_again_and_changes_nothing(
    app: Flask, setting: dict[str, Any], second_closer: User
) -> None:
    call = book(setting["offer"], closer_id=setting["closer"].id)
    before = snapshot()
    response = _logged_in(app, setting["closer"]).post(f"/appointments/{call.id}/hand-back", data={"reason": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Say why: the business reads it." in html
    assert snapshot() == before


def test_the_api_takes_a_message_to_the_prospect_apart_from_the_internal_reason(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    response = client.post(
        f"/api/v1/appointments/{call.id}/cancel",
        json={"reason": INTERNAL, "message_to_prospect": "We will call you tomorrow."},
        headers=bearer(setting["owner"]),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    notice = prospect_notice("appointment_cancelled")
    assert INTERNAL not in notice.text_body and "We will call you tomorrow." in notice.text_body
    schema = client.get("/api/v1/openapi.json").get_json()
    assert "message_to_prospect" in str(schema) and "/api/v1/appointments/{appointment_id}/hand-back" in str(schema)


def test_a_closer_hands_a_call_back_through_the_api_and_only_the_closer_may(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"])
    url = f"/api/v1/appointments/{call.id}/hand-back"
    empty = client.post(url, json={"reason": ""}, headers=bearer(setting["closer"]))
    assert empty.status_code == 422 and "reason" in error_fields(empty)
    assert client.post(url, json={"reason": INTERNAL}, headers=bearer(setting["owner"])).status_code == 403
    response = client.post(url, json={"reason": INTERNAL}, headers=bearer(setting["closer"]))
    assert response.status_code == 200 and response.get_json() == {"id": call.id, "result": "cancelled"}
    db.session.expire_all()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED
    assert INTERNAL not in prospect_notice("appointment_cancelled").text_body
