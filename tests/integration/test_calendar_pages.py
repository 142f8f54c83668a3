"""The closer's Calendars page and the dashboards: connect, bad input beside its field, sync now, remove,
the fail-closed state on the closer's dashboard and the admin's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from closerhub import clock
from closerhub.calendars import sync
from closerhub.calendars.models import CalendarConnection, ConnectionStatus
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.fakes.radicale import IcsServer
from tests.integration.booking_setup import NOW, frozen, setting
from tests.integration.calendar_support import event, vcalendar

__all__ = ["frozen", "setting"]  # fixtures


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CalendarConnection)) or 0


def test_a_closer_connects_an_ics_feed_from_the_page_and_sees_it_read(
    app: Flask, setting: dict[str, Any], ics_server: IcsServer
) -> None:
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T070000Z", "DTEND:20260602T080000Z")).encode()
    client = _logged_in(app, setting["closer"])
    response = client.post("/calendars/", data={"kind": "ics", "url": ics_server.url}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-status="ok"' in html and ics_server.url in html
    connection_id = db.session.scalars(select(CalendarConnection.id)).one()
    ics_server.status = 404
    html = client.post(f"/calendars/{connection_id}/sync", follow_redirects=True).get_data(as_text=True)
    assert 'data-status="error"' in html and "No calendar at this address" in html
    client.post(f"/calendars/{connection_id}/delete")
    assert count() == 0


def test_bad_input_shows_the_form_again_with_the_error_beside_its_field_and_stores_nothing(
    app: Flask, setting: dict[str, Any]
) -> None:
    client = _logged_in(app, setting["closer"])
    response = client.post("/calendars/", data={"kind": "caldav", "url": "not a url", "username": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="url-err"' in html and 'id="username-err"' in html and 'id="password-err"' in html
    assert count() == 0


def test_a_failing_closed_calendar_shows_on_the_closer_dashboard_and_to_admins(
    app: Flask, setting: dict[str, Any], ics_server: IcsServer, admin_client: Any
) -> None:
    ics_server.status = 500
    client = _logged_in(app, setting["closer"])
    client.post("/calendars/", data={"kind": "ics", "url": ics_server.url})
    connection = db.session.scalars(select(CalendarConnection)).one()
    assert connection.status == ConnectionStatus.ERROR
    late = NOW + timedelta(hours=2)
    with clock.frozen_at(late):
        sync.sync_connection(db.session, connection.id, late)
        dashboard = client.get("/dashboard").get_data(as_text=True)
        assert 'data-testid="calendar-alert"' in dashboard and "Your slots are paused" in dashboard
        page = client.get("/calendars/").get_data(as_text=True)
        assert 'data-testid="fail-closed"' in page
        admin_page = admin_client.get("/calendars/admin").get_data(as_text=True)
        assert "Failing closed" in admin_page and setting["closer"].email in admin_page
        assert "1 calendar connection(s) cannot be read, 1 failing closed." in admin_client.get("/dashboard").get_data(
            as_text=True
        )
        assert client.get("/calendars/admin").status_code == 403
