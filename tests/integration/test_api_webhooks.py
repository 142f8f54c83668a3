"""API v1 webhooks: add an endpoint (secret once), list, rotate, the delivery log, retry, delete; bad input."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.webhooks.models import WebhookDelivery, WebhookEndpoint
from closerhub.webhooks.service import emit
from tests.integration.test_api_accounts import bearer


# A loopback URL: the test machine has no DNS, and tests allow private addresses (OUTBOUND_ALLOW_PRIVATE).
def _add(client: FlaskClient, user: User, **body: Any) -> Any:
    payload = {"url": "http://127.0.0.1:9/in", "events": ["appointment.booked"], **body}
    return client.post("/api/v1/webhooks", json=payload, headers=bearer(user))


def test_an_owner_adds_an_endpoint_sees_the_secret_once_rotates_it_and_deletes_it(
    client: FlaskClient, business_user: User
) -> None:
    created = _add(client, business_user, description="CRM")
    assert created.status_code == 201, created.json
    data = created.json
    assert data["secret"].startswith("whsec_") and data["events"] == ["appointment.booked"] and data["enabled"]
    listed = client.get("/api/v1/webhooks", headers=bearer(business_user)).json["data"]
    assert [e["id"] for e in listed] == [data["id"]] and "secret" not in listed[0]
    assert data["secret"] not in db.session.get(WebhookEndpoint, data["id"]).secret_sealed
    rotated = client.post(f"/api/v1/webhooks/{data['id']}/rotate-secret", headers=bearer(business_user))
    assert rotated.status_code == 200 and rotated.json["secret"] != data["secret"]
    assert client.delete(f"/api/v1/webhooks/{data['id']}", headers=bearer(business_user)).status_code == 200
    assert client.get("/api/v1/webhooks", headers=bearer(business_user)).json["data"] == []


def test_bad_endpoint_input_is_a_problem_naming_the_field_and_stores_nothing(
    client: FlaskClient, business_user: User
) -> None:
    for body, field in (
        ({"url": "ftp://hooks.example.com"}, "url"),
        ({"events": ["appointment.teleported"]}, "events"),
        ({"events": []}, "events"),
        ({"description": "x" * 301}, "description"),
        # Wrong JSON types never reach the service (it takes a typed command): the schema names them.
        ({"url": 5}, "url"),
        ({"events": "appointment.booked"}, "events"),
        ({"description": 3}, "description"),
    ):
        answer = _add(client, business_user, **body)
        assert answer.status_code == 422, (body, answer.json)
        assert answer.mimetype == "application/problem+json"
        assert field in str(answer.json), (field, answer.json)
    assert db.session.scalars(select(WebhookEndpoint)).all() == []


def test_the_delivery_log_lists_deliveries_and_retry_makes_one_due_again(
    client: FlaskClient, business_user: User, make_user: Any
) -> None:
    endpoint_id = _add(client, business_user).json["id"]
    emit(db.session, business_user.business_id, "appointment.booked", {"id": 7}, now=clock.utcnow())
    db.session.commit()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    log = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=bearer(business_user)).json["data"]
    assert [(d["id"], d["event_type"], d["status"], d["attempts"]) for d in log] == [
        (delivery.id, "appointment.booked", "pending", 0)
    ]
    assert log[0]["event_id"].startswith("msg_")
    retried = client.post(
        f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.id}/retry", headers=bearer(business_user)
    )
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    stranger = make_user("business", email="other@example.com")
    assert client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=bearer(stranger)).status_code == 404
    missing = client.post(f"/api/v1/webhooks/{endpoint_id}/deliveries/999/retry", headers=bearer(business_user))
    assert missing.status_code == 404
