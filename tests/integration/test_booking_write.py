"""The booking's writes as Core statements (``booking.write``, issue 18) keep every row the ORM wrote,
and the API's first read tells the webhook emitter when a business has no endpoint."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from closerhub.audit.models import AuditEntry
from closerhub.booking.models import Appointment, AppointmentEvent
from closerhub.extensions import db
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import WebhookEvent
from closerhub.webhooks.service import create_endpoint, set_enabled
from tests.integration.booking_setup import NOW, TUESDAY_9, frozen, setting
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_lean_path import counted

__all__ = ["frozen", "setting"]  # fixtures


def _post(client: FlaskClient, setting: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": {"name": "Paula Prospect", "email": "paula@example.com", "timezone": "America/New_York"},
    }
    response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def test_the_call_its_history_line_and_its_audit_row_are_written(
    app: Flask, client: FlaskClient, setting: dict[str, Any]
) -> None:
    owner = setting["owner"]
    headers = bearer(owner)
    owner_id, closer_id = owner.id, setting["closer"].id
    data = _post(client, setting, headers)
    db.session.expire_all()
    call = db.session.get(Appointment, data["id"])
    assert call is not None and (call.closer_id, call.starts_at, call.status.value) == (closer_id, TUESDAY_9, "booked")
    assert call.prospect_confirmed_at is None and call.cancelled_at is None and call.guests == []
    lines = db.session.scalars(select(AppointmentEvent).where(AppointmentEvent.appointment_id == call.id)).all()
    assert [(e.kind, e.actor_id, e.actor_label, e.to_start, e.from_start) for e in lines] == [
        ("booked", owner_id, "business", TUESDAY_9, None)
    ]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "appointment.booked")).all()
    assert [(e.object_type, e.object_id, e.actor_id) for e in entries] == [("appointment", str(call.id), owner_id)]
    assert entries[0].after == {"starts_at": "2026-06-02T07:00:00+00:00", "closer_id": closer_id, "via": "api"} | {
        "routing": entries[0].after["routing"]
    }
    assert entries[0].before is None
    # The 201 body was built from what was written, history included.
    assert [h["kind"] for h in data["history"]] == ["booked"] and data["closer"]["id"] == closer_id
    assert data["attendance"]["prospect_confirmed_at"] is None


def test_a_business_with_an_endpoint_gets_the_event_and_one_without_costs_no_statement(
    app: Flask, client: FlaskClient, setting: dict[str, Any]
) -> None:
    business_id = setting["owner"].business_id
    headers = bearer(setting["owner"])
    endpoint, _secret = create_endpoint(
        db.session,
        business_id,
        NewEndpoint(url="https://hooks.example.com/in", events=("appointment.booked",)),
        now=NOW,
    )
    db.session.commit()
    set_enabled(endpoint, False)  # disabled: as if none
    db.session.commit()
    with counted() as statements:
        _post(client, setting, headers)
    assert sum("webhook_endpoints" in s for s in statements) == 1  # only inside the engagement's read
    assert db.session.scalars(select(WebhookEvent)).all() == []

    set_enabled(endpoint, True)
    db.session.commit()
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T08:00:00Z",
        "channel": "video",
        "lead": {"name": "Olga Other", "email": "olga@example.com", "timezone": "Europe/Paris"},
    }
    response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    events = db.session.scalars(select(WebhookEvent)).all()
    assert [(e.type, e.payload["data"]["id"]) for e in events] == [("appointment.booked", response.get_json()["id"])]
    assert events[0].payload["data"]["history"][0]["kind"] == "booked"
    assert NOW  # the fixture's clock


def test_the_write_statement_stays_in_psycopgs_query_cache(
    app: Flask, client: FlaskClient, setting: dict[str, Any]
) -> None:
    """PostgreSQL: psycopg converts a statement's placeholders once and keeps it only while it has at most
    50 parameters and 4,096 characters; past that, each booking paid ≈ 1 ms converting it again."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite sends one INSERT per row
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    app.config["EMAIL_RENDER_INLINE"] = False  # production: the event is written with the call
    app.config["OUTBOX_EVENTS_INLINE"] = False
    seen: list[tuple[str, int]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().startswith("WITH new_appointment"):
            seen.append((statement, len(params)))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        _post(client, setting, bearer(setting["owner"]))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(seen) == 1
    statement, n_params = seen[0]
    assert "new_outbox_event" in statement and "new_audit" in statement
    assert n_params <= MAX_CACHED_STATEMENT_PARAMS and len(statement) <= MAX_CACHED_STATEMENT_LENGTH
