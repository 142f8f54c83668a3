"""The closer's private ICS feed (/calendar/<key>.ics), its settings page, and GET /api/v1/appointments/{id}.ics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import AccountStatus, User
from closerhub.booking.calendar_files import feed as calendar_feed
from closerhub.booking.models import AppointmentStatus
from closerhub.closers.models import CloserProfile
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world
from tests.integration.test_api_accounts import bearer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Any:
    with clock.frozen_at(NOW):
        yield NOW


@pytest.fixture
def world(make_user: Any, frozen: datetime) -> BookingWorld:
    return make_world(make_user, closer_zone="Europe/Paris")


def stored_key(closer: User) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(CloserProfile.calendar_feed_key).where(CloserProfile.user_id == closer.id))


def feed_path(key: str) -> str:
    return f"/calendar/{key}.ics"


def uids(response: Any) -> dict[str, str]:
    """UID → STATUS of every event in an ICS response."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.get_data())
    return {str(e["UID"]): str(e["STATUS"]) for e in cal.walk("VEVENT")}


# --- the settings page ---------------------------------------------------------------------


def test_a_closer_creates_a_feed_and_the_page_shows_the_url_and_instructions(app: Flask, world: BookingWorld) -> None:
    client = _logged_in(app, world.closer)
    page = client.get("/calendar/settings")
    assert page.status_code == 200
    assert "Create my feed URL" in page.get_data(as_text=True)
    assert stored_key(world.closer) is None

    response = client.post("/calendar/settings", data={"action": "create"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    key = stored_key(world.closer)
    assert key is not None and len(key) >= 43
    assert f"http://localhost/calendar/{key}.ics" in html  # the URL to copy, on PUBLIC_BASE_URL
    assert f"webcal://localhost/calendar/{key}.ics" in html
    for app_name in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app_name in html
    assert "Your CloserHub time zone is Paris" in html  # the page states the closer's zone, by city

    # Creating again keeps the same URL (a double click changes nothing).
    client.post("/calendar/settings", data={"action": "create"})
    assert stored_key(world.closer) == key


def test_regenerating_retires_the_old_url_and_revoking_turns_the_feed_off(app: Flask, world: BookingWorld) -> None:
    client, anonymous = _logged_in(app, world.closer), app.test_client()
    client.post("/calendar/settings", data={"action": "create"})
    old = stored_key(world.closer)
    assert old and anonymous.get(feed_path(old)).status_code == 200

    client.post("/calendar/settings", data={"action": "regenerate"})
    new = stored_key(world.closer)
    assert new and new != old
    assert anonymous.get(feed_path(old)).status_code == 404
    assert anonymous.get(feed_path(new)).status_code == 200

    response = client.post("/calendar/settings", data={"action": "revoke"}, follow_redirects=True)
    assert "turned off" in response.get_data(as_text=True)
    assert stored_key(world.closer) is None
    assert anonymous.get(feed_path(new)).status_code == 404


def test_an_unknown_action_shows_the_page_again_with_an_error_and_changes_nothing(
    app: Flask, world: BookingWorld
) -> None:
    client = _logged_in(app, world.closer)
    client.post("/calendar/settings", data={"action": "create"})
    key = stored_key(world.closer)
    for data in ({"action": "delete-everything"}, {}):
        response = client.post("/calendar/settings", data=data)
        assert response.status_code == 400
        assert "Choose one of the buttons" in response.get_data(as_text=True)
        assert stored_key(world.closer) == key


def test_the_settings_form_needs_its_csrf_token(app: Flask, world: BookingWorld, csrf_enabled: None) -> None:
    client = _logged_in_with_csrf(app, world.closer)
    response = client.post("/calendar/settings", data={"action": "create"})
    assert response.status_code == 400
    assert stored_key(world.closer) is None

    page = client.get("/calendar/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page[:500]
    response = client.post("/calendar/settings", data={"action": "create", "csrf_token": token.group(1)})
    assert response.status_code == 302
    assert stored_key(world.closer) is not None


def _logged_in_with_csrf(app: Flask, user: User) -> FlaskClient:
    """Log in through the real form, token included (CSRF is on)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login", data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token.group(1)}
    )
    assert response.status_code == 302
    return client


def test_only_closers_reach_the_settings_page(app: Flask, client: FlaskClient, business_client: FlaskClient) -> None:
    assert business_client.get("/calendar/settings").status_code == 403
    assert business_client.post("/calendar/settings", data={"action": "create"}).status_code == 403
    response = client.get("/calendar/settings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the feed --------------------------------------------------------------------------------


def test_the_feed_holds_the_closers_calls_of_the_last_30_days_and_upcoming_with_cancelled_ones_marked(
    app: Flask, make_user: Any, world: BookingWorld
) -> None:
    lead = make_lead(world)
    old = make_appointment(world, lead, start=NOW - timedelta(days=31))
    recent = make_appointment(world, lead, start=NOW - timedelta(days=10))
    upcoming = make_appointment(world, lead, start=NOW + timedelta(days=2))
    cancelled = make_appointment(world, lead, start=NOW + timedelta(days=3), status=AppointmentStatus.CANCELLED)
    other = make_world(make_user, owner=world.owner, closer_zone="Asia/Tokyo", offer_name="Other offer")
    theirs = make_appointment(other, make_lead(other), start=NOW + timedelta(days=2))

    key = calendar_feed.create_feed_key(db.session, world.closer, now=NOW)
    response = app.test_client().get(feed_path(key))  # no login: the key is the credential
    events = uids(response)
    assert events == {recent.uid: "CONFIRMED", upcoming.uid: "CONFIRMED", cancelled.uid: "CANCELLED"}
    assert old.uid not in events and theirs.uid not in events
    assert 'filename="closerhub.ics"' in response.headers["Content-Disposition"]
    assert "no-cache" in response.headers["Cache-Control"]
    cal = Calendar.from_ical(response.get_data())
    assert str(cal["X-WR-CALNAME"]) == "CloserHub — Claire Closer"


def test_unknown_revoked_and_malformed_keys_answer_404(app: Flask, world: BookingWorld) -> None:
    client = app.test_client()
    assert client.get(feed_path("nope")).status_code == 404
    assert client.get(feed_path("x" * 300)).status_code == 404
    assert client.get("/calendar/.ics").status_code == 404
    key = calendar_feed.create_feed_key(db.session, world.closer, now=NOW)
    calendar_feed.revoke_feed_key(db.session, world.closer, now=NOW)
    assert client.get(feed_path(key)).status_code == 404


def test_a_suspended_closers_feed_answers_404(app: Flask, world: BookingWorld) -> None:
    key = calendar_feed.create_feed_key(db.session, world.closer, now=NOW)
    world.closer.status = AccountStatus.SUSPENDED
    db.session.commit()
    assert app.test_client().get(feed_path(key)).status_code == 404


# --- one appointment through the API ----------------------------------------------------------


def test_the_api_serves_one_appointment_as_an_invite_to_the_closer_and_the_business(
    client: FlaskClient, world: BookingWorld
) -> None:
    appt = make_appointment(world, make_lead(world), start=NOW + timedelta(days=2))
    for user in (world.closer, world.owner):
        response = client.get(f"/api/v1/appointments/{appt.id}.ics", headers=bearer(user))
        assert uids(response) == {appt.uid: "CONFIRMED"}
        assert Calendar.from_ical(response.get_data())["METHOD"] == "REQUEST"
        assert f'filename="appointment-{appt.id}.ics"' in response.headers["Content-Disposition"]

    appt.status, appt.cancelled_at = AppointmentStatus.CANCELLED, NOW
    db.session.commit()
    response = client.get(f"/api/v1/appointments/{appt.id}.ics", headers=bearer(world.closer))
    assert uids(response) == {appt.uid: "CANCELLED"}
    assert Calendar.from_ical(response.get_data())["METHOD"] == "CANCEL"


def test_the_api_answers_404_for_another_tenant_and_401_without_a_token(
    client: FlaskClient, make_user: Any, world: BookingWorld
) -> None:
    appt = make_appointment(world, make_lead(world), start=NOW + timedelta(days=2))
    stranger_business = make_user("business", name="Sam Stranger")
    stranger_closer = make_user("closer", name="Carl Other")
    for user in (stranger_business, stranger_closer):
        response = client.get(f"/api/v1/appointments/{appt.id}.ics", headers=bearer(user))
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    missing = client.get("/api/v1/appointments/999999.ics", headers=bearer(world.closer))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    anonymous = client.get(f"/api/v1/appointments/{appt.id}.ics")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"


def test_the_ics_endpoint_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/appointments/{appointment_id}.ics" in paths
