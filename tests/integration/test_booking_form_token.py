"""The public confirm POST does not depend on the session (a cross-site embed does not send its cookie):
it is exempt from the session's CSRF check and carries a signed form token (offer key + when served)
instead; it always books as the anonymous prospect, never as a signed-in user. CSRF is ON here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.models import Appointment, AppointmentEvent
from closerhub.booking.pages import form_token
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.integration.booking_setup import NOW, frozen, setting, snapshot
from tests.integration.test_booking_pages import prospect_form
from tests.integration.test_engagements import make_offer

__all__ = ["frozen", "setting"]  # fixtures

START = "2026-06-02T07:00:00Z"


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def served_token(client: FlaskClient, key: str) -> str:
    page = client.get(f"/book/{key}/confirm?start={START}&tz=America/New_York").get_data(as_text=True)
    found = re.search(r'name="booking_token" value="([^"]+)"', page)
    assert found, page[:2000]
    booking_form = page[page.rindex("<form", 0, found.start()) : page.index("</form>", found.start())]
    assert "csrf_token" not in booking_form  # no session token on this form
    return found.group(1)


def confirm(client: FlaskClient, key: str, **data: str) -> Any:
    return client.post(f"/book/{key}/confirm?tz=America/New_York", data=prospect_form(**data))


def test_a_served_form_books_without_any_session_cookie(app: Flask, setting: dict[str, Any], csrf_on: None) -> None:
    key = setting["offer"].booking_key
    token = served_token(app.test_client(), key)
    embedded = app.test_client(use_cookies=False)  # what a cross-site iframe sends: no cookie at all
    response = confirm(embedded, key, booking_token=token)
    assert response.status_code == 302 and "/done/" in response.headers["Location"]


def test_a_missing_forged_foreign_or_stale_token_is_refused_and_books_nothing(
    app: Flask, setting: dict[str, Any], business_user: Any, csrf_on: None
) -> None:
    key = setting["offer"].booking_key
    other = make_offer(business_user, "Another offer")
    secret = app.secret_key
    good = served_token(app.test_client(), key)
    bad = {
        "missing": "",
        "forged": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other offer": form_token.issue(secret, other.booking_key, NOW),
        "stale": form_token.issue(secret, key, NOW - timedelta(hours=3)),
        "other secret": form_token.issue("not-the-secret", key, NOW),
    }
    before = snapshot()
    for name, token in bad.items():
        response = confirm(app.test_client(use_cookies=False), key, booking_token=token)
        assert response.status_code == 400, name
        body = response.get_data(as_text=True)
        assert "This form is too old or was not made here. Check your details and book again." in body, name
        assert 'value="Nora York"' in body, name  # the prospect's details are kept, with a fresh token
    assert snapshot() == before
    # The token expires two hours after the form was served.
    with clock.frozen_at(NOW + timedelta(hours=2, minutes=1)):
        assert confirm(app.test_client(use_cookies=False), key, booking_token=good).status_code == 400


def test_a_signed_in_user_books_as_the_anonymous_prospect(app: Flask, setting: dict[str, Any]) -> None:
    key = setting["offer"].booking_key
    owner = _logged_in(app, setting["owner"])  # logged in before CSRF is on (the log-in form's own token)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = confirm(owner, key, booking_token=served_token(owner, key))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302
    db.session.rollback()
    call = db.session.scalars(select(Appointment)).one()
    assert call.lead.email == "nora@example.com"
    (event,) = db.session.scalars(select(AppointmentEvent).where(AppointmentEvent.appointment_id == call.id)).all()
    assert event.actor_id is None and event.actor_label == "prospect"
