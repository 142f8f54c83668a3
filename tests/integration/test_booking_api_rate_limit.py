"""The public booking API (POST /api/v1/appointments with a booking key, no token) shares the booking page's
per-address limit; token holders are not limited by it; ``BOOKING_RATE_LIMIT`` lifts it for one app."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.extensions import db
from tests.integration.booking_setup import appointment_count, frozen, setting

__all__ = ["frozen", "setting"]  # fixtures

LIMIT = 10  # "10 per minute; 50 per hour"


def bad_booking(offer: Any) -> dict[str, Any]:
    """A request the service refuses (422): it still counts against the limit, and books nothing."""
    return {"booking_key": offer.booking_key, "start": "not a time", "channel": "video"}


def test_the_eleventh_unauthenticated_booking_in_a_minute_is_a_429_problem(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    statuses = [
        client.post("/api/v1/appointments", json=bad_booking(setting["offer"])).status_code for _ in range(LIMIT)
    ]
    assert set(statuses) == {422}
    refused = client.post("/api/v1/appointments", json=bad_booking(setting["offer"]))
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["status"] == 429
    assert appointment_count() == 0


def test_the_booking_page_and_the_api_share_one_counter(client: FlaskClient, setting: dict[str, Any]) -> None:
    for _ in range(LIMIT):
        client.post("/api/v1/appointments", json=bad_booking(setting["offer"]))
    page = client.post(f"/book/{setting['offer'].booking_key}/confirm?start=2026-06-02T07:00:00Z", data={})
    assert page.status_code == 429


def test_a_business_with_an_api_token_is_not_held_to_the_public_limit(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    secret = tokens.create_token(db.session, setting["owner"], "funnel", clock.utcnow())[1]
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"offer_id": setting["offer"].id, "start": "not a time", "channel": "video"}
    statuses = {client.post("/api/v1/appointments", json=body, headers=headers).status_code for _ in range(LIMIT + 3)}
    assert statuses == {422}


def test_the_config_lifts_the_limit_for_one_app(app: Flask, client: FlaskClient, setting: dict[str, Any]) -> None:
    app.config["BOOKING_RATE_LIMIT"] = "100 per minute"
    statuses = {
        client.post("/api/v1/appointments", json=bad_booking(setting["offer"])).status_code for _ in range(LIMIT + 3)
    }
    assert statuses == {422}


def test_the_openapi_document_states_the_limit(client: FlaskClient) -> None:
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/appointments"]["post"]
    assert operation["x-rate-limit"].startswith("10 per minute; 50 per hour")
