"""API v1 calendar connections: add, sync now, list, delete, busy time; bad input and hostile URLs."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.calendars.models import CalendarConnection, ExternalBusy
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.fakes.radicale import IcsServer, RadicaleServer
from tests.integration.booking_setup import frozen, setting
from tests.integration.calendar_support import event, vcalendar
from tests.integration.test_api_accounts import bearer

__all__ = ["frozen", "setting"]  # fixtures

BUSY = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()


def connections() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CalendarConnection)) or 0


def test_an_ics_subscription_added_and_synced_removes_its_slot_from_the_slots_api_and_shows_in_busy(
    client: FlaskClient, setting: dict[str, Any], ics_server: IcsServer
) -> None:
    ics_server.body = BUSY
    headers = bearer(setting["closer"])
    created = client.post("/api/v1/closers/me/calendars", json={"kind": "ics", "url": ics_server.url}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "pending" and body["kind"] == "ics" and body["last_synced_at"] is None
    synced = client.post(f"/api/v1/closers/me/calendars/{body['id']}/sync", headers=headers)
    assert synced.status_code == 200 and synced.get_json()["status"] == "ok"
    slots = client.get(
        f"/api/v1/closers/{setting['closer'].id}/slots?from=2026-06-02&to=2026-06-02&timezone=UTC", headers=headers
    ).get_json()["slots"]
    assert "2026-06-02T07:00:00Z" not in [s["start"] for s in slots]
    assert "2026-06-02T08:00:00Z" in [s["start"] for s in slots]
    busy = client.get(
        "/api/v1/closers/me/busy?from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z", headers=headers
    ).get_json()["busy"]
    assert busy == [{"start": "2026-06-02T07:00:00Z", "end": "2026-06-02T08:00:00Z", "source": "calendar"}]
    listed = client.get("/api/v1/closers/me/calendars", headers=headers).get_json()["data"]
    assert [c["id"] for c in listed] == [body["id"]]


def test_a_booking_over_calendar_busy_time_is_a_409_with_alternatives(
    client: FlaskClient, setting: dict[str, Any], ics_server: IcsServer
) -> None:
    ics_server.body = BUSY
    headers = bearer(setting["closer"])
    created = client.post("/api/v1/closers/me/calendars", json={"kind": "ics", "url": ics_server.url}, headers=headers)
    client.post(f"/api/v1/closers/me/calendars/{created.get_json()['id']}/sync", headers=headers)
    response = client.post(
        "/api/v1/appointments",
        json={
            "engagement_id": setting["engagement"].id,
            "start": "2026-06-02T07:00:00Z",
            "channel": "video",
            "lead": {"name": "Paula Prospect", "email": "paula@example.com", "timezone": "America/New_York"},
        },
        headers=bearer(setting["owner"]),
    )
    assert response.status_code == 409, response.get_json()
    problem = response.get_json()
    assert problem["code"] == "slot_unavailable" and len(problem["alternatives"]) == 3


def test_a_wrong_caldav_password_is_status_error_never_a_5xx_and_the_password_is_never_returned(
    client: FlaskClient, setting: dict[str, Any], radicale: RadicaleServer
) -> None:
    headers = bearer(setting["closer"])
    body = {"kind": "caldav", "url": radicale.url + "/", "username": radicale.username, "password": "wrong-secret-99"}
    created = client.post("/api/v1/closers/me/calendars", json=body, headers=headers)
    assert created.status_code == 201
    assert "wrong-secret-99" not in created.get_data(as_text=True)
    synced = client.post(f"/api/v1/closers/me/calendars/{created.get_json()['id']}/sync", headers=headers)
    assert synced.status_code == 200
    assert synced.get_json()["status"] == "error"
    assert "password" in synced.get_json()["last_error"]
    assert "wrong-secret-99" not in synced.get_data(as_text=True)
    db.session.rollback()
    stored = db.session.scalars(select(CalendarConnection.secret_sealed)).one()
    assert stored and "wrong-secret-99" not in stored  # sealed at rest


def test_bad_input_is_a_422_naming_each_field_and_stores_nothing(client: FlaskClient, setting: dict[str, Any]) -> None:
    headers = bearer(setting["closer"])
    cases = [
        ({"kind": "exchange", "url": "https://example.com/cal"}, "kind"),
        ({"kind": "caldav", "url": "https://example.com/dav/"}, "username"),
        ({"kind": "ics", "url": "ftp://example.com/cal.ics"}, "url"),
        ({"kind": "ics", "url": ""}, "url"),
        ({"kind": "ics", "url": "https://user:pw@example.com/cal.ics"}, "url"),
        # Wrong JSON types never reach the service (it takes a typed command): the schema names them.
        ({"kind": "ics", "url": 5}, "url"),
        ({"kind": "caldav", "url": "https://example.com/dav/", "username": 7, "password": "pw"}, "username"),
        ({"kind": "ics", "url": "https://example.com/cal.ics", "write_bookings": "yes"}, "write_bookings"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/closers/me/calendars", json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in {e["field"] for e in response.get_json()["errors"]}, (body, response.get_json())
    assert connections() == 0


def test_loopback_private_and_link_local_addresses_are_refused_when_private_addresses_are_not_allowed(
    app: Flask, client: FlaskClient, setting: dict[str, Any]
) -> None:
    headers = bearer(setting["closer"])
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    try:
        for url in (
            "http://127.0.0.1:5000/cal.ics",
            "http://localhost/cal.ics",
            "http://10.1.2.3/cal.ics",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/cal.ics",
            "http://192.168.1.10/dav/",
        ):
            response = client.post("/api/v1/closers/me/calendars", json={"kind": "ics", "url": url}, headers=headers)
            assert response.status_code == 422, url
            assert "private or local address" in response.get_json()["errors"][0]["message"]
    finally:
        app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    assert connections() == 0


def test_another_closers_connection_is_a_404_and_delete_removes_the_connection_and_its_busy_time(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory, ics_server: IcsServer
) -> None:
    ics_server.body = BUSY
    headers = bearer(setting["closer"])
    created = client.post("/api/v1/closers/me/calendars", json={"kind": "ics", "url": ics_server.url}, headers=headers)
    connection_id = created.get_json()["id"]
    client.post(f"/api/v1/closers/me/calendars/{connection_id}/sync", headers=headers)
    other = bearer(make_user("closer", email="other@example.com"))
    assert client.post(f"/api/v1/closers/me/calendars/{connection_id}/sync", headers=other).status_code == 404
    assert client.delete(f"/api/v1/closers/me/calendars/{connection_id}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/closers/me/calendars/{connection_id}", headers=headers).status_code == 204
    assert connections() == 0
    assert db.session.scalars(select(ExternalBusy)).all() == []
    slots = client.get(
        f"/api/v1/closers/{setting['closer'].id}/slots?from=2026-06-02&to=2026-06-02&timezone=UTC", headers=headers
    ).get_json()["slots"]
    assert "2026-06-02T07:00:00Z" in [s["start"] for s in slots]


def test_businesses_cannot_connect_calendars(client: FlaskClient, setting: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/closers/me/calendars",
        json={"kind": "ics", "url": "https://example.com/c.ics"},
        headers=bearer(setting["owner"]),
    )
    assert response.status_code == 403
