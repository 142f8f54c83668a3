"""Offers through the JSON API: create, list, read, replace; tenancy and every bad input."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.test_api_accounts import bearer, error_fields
from tests.integration.test_engagements import make_offer
from tests.integration.test_offers import offer_rows


def offer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Founder coaching",
        "price": {"amount": 250000, "currency": "EUR"},
        "description": "Twelve weeks, one-to-one.",
        "closing_script": "Open, discover, pitch, close.",
        "qualification_notes": "Revenue above 10k/month.",
        "sales_cycle_days": 14,
        "booking_questions": ["What is your revenue?", "Who decides?"],
    }
    body.update(overrides)
    return body


def test_a_business_creates_an_offer_and_reads_it_back(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    created = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["price"] == {"amount": 250000, "currency": "EUR"} and data["active"] is True
    assert data["business_id"] == business_user.business_id and len(data["booking_key"]) >= 40
    assert data["booking_questions"] == ["What is your revenue?", "Who decides?"]
    assert data["created_at"].endswith("Z")
    assert (data["call_minutes"], data["start_increment_minutes"]) == (60, 60)  # the defaults
    got = client.get(f"/api/v1/offers/{data['id']}", headers=headers)
    assert got.status_code == 200 and got.get_json() == data
    listed = client.get("/api/v1/offers", headers=headers).get_json()
    assert [o["id"] for o in listed["data"]] == [data["id"]] and listed["next_cursor"] is None


def test_the_offer_sets_its_calls_length_and_start_increment(client: FlaskClient, business_user: User) -> None:
    body = offer_body(call_minutes=45, start_increment_minutes=15)
    created = client.post("/api/v1/offers", json=body, headers=bearer(business_user))
    assert created.status_code == 201, created.get_json()
    assert (created.get_json()["call_minutes"], created.get_json()["start_increment_minutes"]) == (45, 15)


def test_the_currency_defaults_to_the_business_currency(client: FlaskClient, business_user: User) -> None:
    db.session.get(Business, business_user.business_id).currency = "GBP"
    db.session.commit()
    created = client.post("/api/v1/offers", json=offer_body(price={"amount": 99000}), headers=bearer(business_user))
    assert created.status_code == 201 and created.get_json()["price"] == {"amount": 99000, "currency": "GBP"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": {"amount": -100, "currency": "EUR"}}, "price"),
        ({"price": {"amount": 0, "currency": "EUR"}}, "price"),
        ({"price": {"amount": 12.5, "currency": "EUR"}}, "price.amount"),
        ({"price": {"amount": "100", "currency": "EUR"}}, "price.amount"),
        ({"price": {"amount": 100, "currency": "EURO"}}, "price.currency"),
        ({"price": {"amount": 100, "currency": "XYZ"}}, "price.currency"),
        ({"booking_questions": [f"Question {i}?" for i in range(11)]}, "booking_questions"),
        ({"booking_questions": ["Budget?", ""]}, "booking_questions"),
        ({"name": ""}, "name"),
        ({"sales_cycle_days": -1}, "sales_cycle_days"),
        ({"active": "yes"}, "active"),
        ({"surprise": 1}, "surprise"),
        ({"call_minutes": 14}, "call_minutes"),
        ({"call_minutes": 241}, "call_minutes"),
        ({"call_minutes": "45"}, "call_minutes"),
        ({"start_increment_minutes": 45}, "start_increment_minutes"),
        ({"start_increment_minutes": 0}, "start_increment_minutes"),
    ],
)
def test_bad_offer_input_is_a_422_naming_the_field_and_nothing_is_saved(
    client: FlaskClient, business_user: User, overrides: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/offers", json=offer_body(**overrides), headers=bearer(business_user))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in error_fields(response)
    assert offer_rows() == []


def test_eleven_booking_questions_get_a_clear_message(client: FlaskClient, business_user: User) -> None:
    response = client.post(
        "/api/v1/offers",
        json=offer_body(booking_questions=[f"Question {i}?" for i in range(11)]),
        headers=bearer(business_user),
    )
    assert response.get_json()["detail"] == "Ask at most 10 booking questions (you gave 11)."


def test_another_business_offer_is_a_404_like_a_missing_one(
    client: FlaskClient, business_user: User, make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Inc")
    theirs = make_offer(rival, "Rival secret offer")
    before = offer_rows()
    headers = bearer(business_user)
    other = client.get(f"/api/v1/offers/{theirs.id}", headers=headers)
    missing = client.get("/api/v1/offers/999999", headers=headers)
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["detail"] == missing.get_json()["detail"]
    assert client.put(f"/api/v1/offers/{theirs.id}", json=offer_body(), headers=headers).status_code == 404
    assert client.post(f"/api/v1/offers/{theirs.id}/booking-key", headers=headers).status_code == 404
    assert client.get("/api/v1/offers", headers=headers).get_json()["data"] == []
    assert offer_rows() == before


def test_a_closer_cannot_create_or_read_offers(client: FlaskClient, business_user: User, closer: User) -> None:
    offer = make_offer(business_user)
    headers = bearer(closer)
    assert client.post("/api/v1/offers", json=offer_body(), headers=headers).status_code == 403
    assert client.get("/api/v1/offers", headers=headers).status_code == 403
    assert client.get(f"/api/v1/offers/{offer.id}", headers=headers).status_code == 404
    assert len(offer_rows()) == 1


def test_put_replaces_the_offer_and_a_bad_put_changes_nothing(client: FlaskClient, business_user: User) -> None:
    offer = make_offer(business_user)
    headers = bearer(business_user)
    before = offer_rows()
    bad = client.put(f"/api/v1/offers/{offer.id}", json=offer_body(price={"amount": -1}), headers=headers)
    assert bad.status_code == 422 and offer_rows() == before
    good = client.put(f"/api/v1/offers/{offer.id}", json=offer_body(name="Renamed", active=False), headers=headers)
    assert good.status_code == 200
    data = good.get_json()
    assert (data["name"], data["active"], data["booking_key"]) == ("Renamed", False, offer.booking_key)
    assert client.get("/api/v1/offers?active=true", headers=headers).get_json()["data"] == []


def test_an_idempotency_key_replays_the_creation(client: FlaskClient, business_user: User) -> None:
    headers = {**bearer(business_user), "Idempotency-Key": "offer-1"}
    first = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    again = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert len(offer_rows()) == 1


def test_the_offer_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/offers"]) and {"get", "put"} <= set(paths["/api/v1/offers/{offer_id}"])
