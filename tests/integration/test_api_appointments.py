"""Appointments through the JSON API: book (token or booking key), 409 + alternatives, 422s, list, change."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.leads.models import Lead
from tests.conftest import UserFactory
from tests.integration.booking_setup import (
    TUESDAY_9,
    book,
    engage,
    frozen,
    hours,
    lead_data,
    lead_details,
    set_hours,
    setting,
    snapshot,
)
from tests.integration.test_api_accounts import bearer, error_fields
from tests.integration.test_engagements import make_offer

__all__ = ["frozen", "setting"]  # fixtures


def business_body(setting: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": lead_data(),
    }
    body.update(overrides)
    return body


def test_a_business_books_and_gets_both_local_times_and_the_meeting_link(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    response = client.post("/api/v1/appointments", json=business_body(setting), headers=bearer(setting["owner"]))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert (data["status"], data["start"], data["end"]) == ("booked", "2026-06-02T07:00:00Z", "2026-06-02T08:00:00Z")
    assert data["prospect_local_start"] == "2026-06-02T03:00:00-04:00"
    assert data["closer_local_start"] == "2026-06-02T09:00:00+02:00"
    assert data["meeting_url"].startswith("https://meet.closerhub.app/") and data["dial_plan"] is None
    assert data["closer"] == {"id": setting["closer"].id, "name": "Claire Closer", "timezone": "Europe/Paris"}
    assert data["lead"]["email"] == "paula@example.com" and data["lead"]["context"]["needs"] == "Scale to 50k/month"
    assert data["booked_via"] == "api" and data["history"][0]["actor_label"] == "business"
    assert client.get(f"/api/v1/appointments/{data['id']}", headers=bearer(setting["closer"])).status_code == 200


def test_a_prospect_books_with_the_booking_key_in_the_body_or_the_header(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    key = setting["offer"].booking_key
    body = {"booking_key": key, "start": "2026-06-02T07:00:00Z", "channel": "phone", "lead": lead_data()}
    first = client.post("/api/v1/appointments", json=body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["dial_plan"] == {"caller": "closer", "number": "+12125550123"}
    assert first.get_json()["routing_reason"] is None and first.get_json()["history"] == []
    del body["booking_key"]
    body["start"] = "2026-06-02T08:00:00Z"
    second = client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": key})
    assert second.status_code == 201
    assert client.post("/api/v1/appointments", json=body).status_code == 422  # neither token nor key
    assert client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": "nope"}).status_code == 404


def test_a_taken_slot_is_a_409_with_three_alternatives_in_the_prospects_zone(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    book(setting["offer"])
    before = snapshot()
    body = {"booking_key": setting["offer"].booking_key, "start": "2026-06-02T07:00:00Z", "channel": "video"}
    response = client.post("/api/v1/appointments", json={**body, "lead": lead_data(email="late@example.com")})
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "slot_unavailable" and problem["errors"][0]["field"] == "start"
    assert [a["start"] for a in problem["alternatives"]] == [
        "2026-06-02T12:00:00Z",
        "2026-06-02T13:00:00Z",
        "2026-06-02T14:00:00Z",
    ]  # the nearest in the New York prospect's daytime (08:00-20:00 there) first
    assert problem["alternatives"][0]["local_start"] == "2026-06-02T08:00:00-04:00"
    assert [a["closer_ids"] for a in problem["alternatives"]] == [[setting["closer"].id]] * 3  # routed: who is free
    assert snapshot() == before


def test_a_taken_slot_of_a_named_engagement_offers_that_closers_times(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    book(setting["offer"])
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": lead_data(email="late@example.com"),
    }
    response = client.post("/api/v1/appointments", json=body, headers=bearer(setting["owner"]))
    assert response.status_code == 409
    alternatives = response.get_json()["alternatives"]
    assert [a["start"] for a in alternatives] == [
        "2026-06-02T12:00:00Z",
        "2026-06-02T13:00:00Z",
        "2026-06-02T14:00:00Z",
    ]  # the nearest in the New York prospect's daytime (08:00-20:00 there) first
    assert all(a["end"] and a["closer_ids"] == [setting["closer"].id] for a in alternatives)


@pytest.mark.parametrize(
    ("case", "overrides", "status", "field"),
    [
        ("naive start", {"start": "2026-06-02T09:00:00"}, 422, "start"),
        ("past start", {"start": "2026-05-31T07:00:00Z"}, 422, "start"),
        ("beyond the horizon", {"start": "2026-07-07T07:00:00Z"}, 422, "start"),
        ("outside availability", {"start": "2026-06-02T05:00:00Z"}, 422, "start"),
        ("unknown channel", {"channel": "fax"}, 422, "channel"),
        ("bad lead email", {"lead": lead_data(email="nope")}, 422, "lead.email"),
        ("no lead", {"lead": None}, 422, "lead"),
        ("phone without a number", {"channel": "phone", "lead": lead_data(phone=None)}, 422, "lead.phone"),
        # The lead's context is nested in the body, and so is its error (``BookingRequest.field_name``).
        ("too long a budget", {"lead": lead_data(context={"budget": "x" * 201})}, 422, "lead.context.budget"),
        ("guests not a list", {"guests": {"name": "G", "email": "g@example.com"}}, 422, "guests"),
    ],
)
def test_bad_bookings_are_refused_clearly_and_change_nothing(
    client: FlaskClient, setting: dict[str, Any], case: str, overrides: dict[str, Any], status: int, field: str
) -> None:
    headers = bearer(setting["owner"])
    before = snapshot()
    body = {k: v for k, v in business_body(setting, **overrides).items() if v is not None}
    response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    assert field in error_fields(response), response.get_json()
    assert snapshot() == before


def test_an_inactive_engagement_and_another_businesss_engagement_or_lead_are_refused(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Ltd")
    rival_closer = make_user("closer", email="rita@example.com")
    set_hours(rival_closer)
    rival_offer = make_offer(rival, "Rival offer")
    rival_engagement = engage(rival, rival_closer, rival_offer)
    rival_lead = book(rival_offer, lead=lead_details(email="their-lead@example.com")).lead
    headers = bearer(setting["owner"])
    before = snapshot()
    theirs = client.post(
        "/api/v1/appointments", json=business_body(setting, engagement_id=rival_engagement.id), headers=headers
    )
    assert theirs.status_code == 404
    lead_body = business_body(setting, lead_id=rival_lead.id)
    del lead_body["lead"]
    their_lead = client.post("/api/v1/appointments", json=lead_body, headers=headers)
    assert their_lead.status_code == 422 and error_fields(their_lead) == {"lead_id"}
    engagements.end(db.session, setting["owner"], setting["engagement"].id, "Done", now=clock.utcnow())
    ended = client.post("/api/v1/appointments", json=business_body(setting), headers=headers)
    assert ended.status_code == 409 and ended.get_json()["code"] == "engagement_not_active"
    assert snapshot() == before


def test_an_existing_lead_can_be_booked_by_id(client: FlaskClient, setting: dict[str, Any]) -> None:
    lead = book(setting["offer"]).lead
    body = business_body(setting, lead_id=lead.id, start="2026-06-02T09:00:00Z")
    del body["lead"]
    response = client.post("/api/v1/appointments", json=body, headers=bearer(setting["owner"]))
    assert response.status_code == 201 and response.get_json()["lead"]["id"] == lead.id


def test_an_idempotency_key_replays_the_booking(client: FlaskClient, setting: dict[str, Any]) -> None:
    headers = {**bearer(setting["owner"]), "Idempotency-Key": "book-paula-1"}
    first = client.post("/api/v1/appointments", json=business_body(setting), headers=headers)
    after = snapshot()
    again = client.post("/api/v1/appointments", json=business_body(setting), headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and snapshot() == after
    public = {"booking_key": setting["offer"].booking_key, "start": "2026-06-02T08:00:00Z", "channel": "video"}
    public["lead"] = lead_data(email="pub@example.com")
    key = {"Idempotency-Key": "public-1"}
    assert client.post("/api/v1/appointments", json=public, headers=key).status_code == 201
    replay = client.post("/api/v1/appointments", json=public, headers=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(snapshot()[0]) == 2


def test_the_list_filters_by_status_and_time_and_pages_with_a_cursor(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    ids = [
        book(setting["offer"], TUESDAY_9 + hours(n), lead=lead_details(email=f"p{n}@example.com")).id for n in range(3)
    ]
    headers = bearer(setting["owner"])
    page = client.get("/api/v1/appointments?limit=2", headers=headers).get_json()
    assert [a["id"] for a in page["data"]] == ids[:2] and page["next_cursor"]
    rest = client.get(f"/api/v1/appointments?limit=2&cursor={page['next_cursor']}", headers=headers).get_json()
    assert [a["id"] for a in rest["data"]] == ids[2:] and rest["next_cursor"] is None
    later = client.get("/api/v1/appointments?from=2026-06-02T08:00:00Z&to=2026-06-02T09:00:00%2B00:00", headers=headers)
    assert [a["id"] for a in later.get_json()["data"]] == [ids[1]]
    by_day = client.get("/api/v1/appointments?from=2026-06-02&to=2026-06-03", headers=headers)
    assert len(by_day.get_json()["data"]) == 3
    assert client.get("/api/v1/appointments?status=cancelled", headers=headers).get_json()["data"] == []
    assert client.get("/api/v1/appointments?from=2026-06-02T08:00:00", headers=headers).status_code == 422
    assert client.get("/api/v1/appointments?status=maybe", headers=headers).status_code == 422
    stranger = make_user("business", business_name="Other Co")
    assert client.get("/api/v1/appointments", headers=bearer(stranger)).get_json()["data"] == []
    assert client.get(f"/api/v1/appointments/{ids[0]}", headers=bearer(stranger)).status_code == 404


def test_reschedule_and_cancel_follow_the_policy(client: FlaskClient, setting: dict[str, Any]) -> None:
    call_id = book(setting["offer"]).id
    headers = bearer(setting["owner"])
    url = f"/api/v1/appointments/{call_id}"
    no_reason = client.post(f"{url}/reschedule", json={"start": "2026-06-02T10:00:00Z"}, headers=headers)
    assert no_reason.status_code == 422 and error_fields(no_reason) == {"reason"}
    naive = client.post(f"{url}/reschedule", json={"start": "2026-06-02T10:00:00", "reason": "x"}, headers=headers)
    assert naive.status_code == 422 and error_fields(naive) == {"start"}
    moved = client.post(f"{url}/reschedule", json={"start": "2026-06-02T10:00:00Z", "reason": "Clash"}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["start"], moved.get_json()["sequence"]) == ("2026-06-02T10:00:00Z", 1)
    other = book(setting["offer"], TUESDAY_9 + hours(5), lead=lead_details(email="o@example.com"))
    taken = client.post(f"{url}/reschedule", json={"start": "2026-06-02T12:00:00Z", "reason": "again"}, headers=headers)
    assert taken.status_code == 409 and taken.get_json()["code"] == "slot_unavailable"
    assert other.starts_at == TUESDAY_9 + hours(5)
    cancelled = client.post(f"{url}/cancel", json={"reason": "Bought elsewhere"}, headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"{url}/cancel", json={"reason": "Again"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "appointment_not_booked"


def test_the_closers_slots_endpoint_hides_booked_time(
    client: FlaskClient, setting: dict[str, Any], business_user: User
) -> None:
    closer = setting["closer"]
    url = f"/api/v1/closers/{closer.id}/slots?from=2026-06-02&to=2026-06-02&timezone=Europe/Paris"
    before = [s["start"] for s in client.get(url, headers=bearer(business_user)).get_json()["slots"]]
    assert "2026-06-02T07:00:00Z" in before
    book(setting["offer"])
    after = [s["start"] for s in client.get(url, headers=bearer(business_user)).get_json()["slots"]]
    assert after == [s for s in before if s != "2026-06-02T07:00:00Z"]


def test_a_lead_booked_again_with_the_same_email_is_not_duplicated_nor_overwritten_by_a_public_caller(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    key = setting["offer"].booking_key
    for n, start in enumerate(("2026-06-02T07:00:00Z", "2026-06-02T09:00:00Z")):
        body = {"booking_key": key, "start": start, "channel": "video", "lead": lead_data(name=f"Paula {n}")}
        assert client.post("/api/v1/appointments", json=body).status_code == 201
    db.session.expire_all()
    # One lead; the second (anonymous) caller's name goes on its call as "the prospect said".
    assert [lead.name for lead in db.session.query(Lead).all()] == ["Paula 0"]
    said = [a.prospect_said["name"] for a in db.session.query(Appointment).order_by(Appointment.id)]
    assert said == ["Paula 0", "Paula 1"]


def test_a_closer_books_a_follow_up_with_their_own_lead_on_their_own_engagement(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    first = book(setting["offer"])
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-03T07:00:00Z",
        "channel": "video",
        "lead_id": first.lead_id,
        "follow_up_of_id": first.id,
    }
    headers = bearer(setting["closer"])
    response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["closer"]["id"] == setting["closer"].id
    new_lead = {k: v for k, v in body.items() if k != "lead_id"} | {"lead": lead_data(email="new@example.com")}
    refused = client.post("/api/v1/appointments", json=new_lead, headers=headers)
    assert refused.status_code == 422 and error_fields(refused) == {"lead_id"}
