"""The prospect's pages work without the session cookie (a cross-site iframe does not send it): the
language is carried in the URL (``?lang=``), and the manage page's forms carry a signed form token bound
to the manage link (expiring) instead of the session's CSRF token. CSRF is ON here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from closerhub.booking import service
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.pages import form_token
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, setting, snapshot
from tests.integration.test_booking_pages import text

__all__ = ["frozen", "setting"]  # fixtures

MOVE_TO = "2026-06-03T07:00:00Z"  # Wednesday 09:00 in Paris, free


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def served(client: FlaskClient, url: str) -> tuple[str, str]:
    page = text(client.get(url))
    found = re.search(r'name="manage_form_token" value="([^"]+)"', page)
    assert found, page[:2000]
    return page, found.group(1)


def test_cancel_and_reschedule_work_without_any_session_cookie(
    app: Flask, setting: dict[str, Any], csrf_on: None
) -> None:
    appointment = book(setting["offer"])
    token = service.manage_token(appointment)
    embedded = app.test_client(use_cookies=False)  # what a cross-site iframe sends: no cookie at all
    page, form = served(embedded, f"/appointments/manage/{token}?embed=1&lang=fr")
    assert 'name="csrf_token"' not in page  # no session token on the prospect's forms
    assert f'action="/appointments/manage/{token}/reschedule?tz=' in page and "embed=1&amp;lang=fr" in page
    moved = embedded.post(
        f"/appointments/manage/{token}/reschedule?embed=1&lang=fr",
        data={"start": MOVE_TO, "reason": "Clash", "manage_form_token": form},
    )
    assert moved.status_code == 302, text(moved)[:3000]
    assert moved.headers["Location"] == f"/appointments/manage/{token}?embed=1&lang=fr&changed=moved"  # kept
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).starts_at.isoformat().startswith("2026-06-03T07:00")
    _page, form = served(embedded, f"/appointments/manage/{token}?embed=1&lang=fr")
    cancelled = embedded.post(
        f"/appointments/manage/{token}/cancel?embed=1&lang=fr", data={"reason": "Travel", "manage_form_token": form}
    )
    assert cancelled.status_code == 302
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    after = text(embedded.get(cancelled.headers["Location"]))
    assert "Cet appel a été annulé." in after


def test_a_missing_forged_foreign_or_stale_token_is_refused_and_changes_nothing(
    app: Flask, setting: dict[str, Any], csrf_on: None
) -> None:
    appointment = book(setting["offer"])
    other = book(setting["offer"], TUESDAY_9 + timedelta(hours=3))
    token = service.manage_token(appointment)
    _page, good = served(app.test_client(use_cookies=False), f"/appointments/manage/{token}")
    secret = app.secret_key
    bad = {
        "missing": "",
        "forged": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "another call's link": form_token.issue_manage(secret, service.manage_token(other), NOW),
        "stale": form_token.issue_manage(secret, token, NOW - timedelta(hours=3)),
        "other secret": form_token.issue_manage("not-the-secret", token, NOW),
        "the booking form's": form_token.issue(secret, setting["offer"].booking_key, NOW),
    }
    before = snapshot()
    for name, sent in bad.items():
        posts = (("cancel", {"reason": "x"}), ("reschedule", {"start": MOVE_TO, "reason": "x"}), ("closer-no-show", {}))
        for action, data in posts:
            client = app.test_client(use_cookies=False)
            response = client.post(f"/appointments/manage/{token}/{action}", data=data | {"manage_form_token": sent})
            assert response.status_code == 400, (name, action)
            assert "This form is too old or was not made here. Reload the page and try again." in text(response)
    assert snapshot() == before


def test_a_signed_in_users_session_csrf_token_does_not_replace_the_form_token(
    app: Flask, setting: dict[str, Any]
) -> None:
    """Never weaker than CSRF: a signed-in user's session confers nothing on the prospect's forms."""
    appointment = book(setting["offer"])
    token = service.manage_token(appointment)
    client = _logged_in(app, setting["owner"])
    app.config["WTF_CSRF_ENABLED"] = True
    page = text(client.get("/dashboard"))
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    data = {"reason": "Travel", "csrf_token": csrf.group(1) if csrf else ""}
    before = snapshot()
    try:
        assert csrf and client.post(f"/appointments/manage/{token}/cancel", data=data).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert snapshot() == before


def test_the_language_is_carried_in_the_url_on_prospect_pages(client: FlaskClient, setting: dict[str, Any]) -> None:
    key = setting["offer"].booking_key
    english = text(client.get(f"/book/{key}?tz=Europe/Paris", headers={"Accept-Language": "en"}))
    assert 'lang="en"' in english and 'href="/book/' in english
    assert re.search(rf'<a href="/book/{key}\?tz=Europe/Paris&amp;lang=fr" lang="fr"', english)
    french = text(client.get(f"/book/{key}?tz=Europe/Paris&lang=fr", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in french and "Propulsé par CloserHub" in french
    assert f"/book/{key}/confirm?start=" in french and "lang=fr" in french.split(f"/book/{key}/confirm?start=")[1][:200]
    assert 'name="lang" value="fr"' in french  # the zone form keeps it
    confirm = text(client.get(f"/book/{key}/confirm?start=2026-06-02T07:00:00Z&tz=Europe/Paris&lang=fr"))
    assert '<html lang="fr">' in confirm and '<option selected value="fr">' in confirm  # emails in French too
    assert f'action="/book/{key}/confirm?tz=Europe/Paris' in confirm and "lang=fr" in confirm
    token = service.manage_token(book(setting["offer"]))
    manage = text(client.get(f"/appointments/manage/{token}?lang=fr"))
    assert '<html lang="fr">' in manage and "Votre appel" in manage
    assert f"/appointments/manage/{token}?lang=en" in manage  # the switch back
    assert '<html lang="en">' in text(client.get(f"/book/{key}?lang=xx", headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in text(client.get("/?lang=fr", headers={"Accept-Language": "en"}))  # prospect pages only
