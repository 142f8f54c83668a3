"""The Integrations pages: the owner adds, rotates, pauses and deletes endpoints; members are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.webhooks.models import WebhookEndpoint
from tests.conftest import _logged_in
from tests.integration.test_team import add_member

SECRET = re.compile(r'value="(whsec_[A-Za-z0-9+/=]+)"')


@pytest.fixture
def owner_client(app: Flask, business_user: User) -> Iterator[FlaskClient]:
    yield _logged_in(app, business_user)


def _add(client: FlaskClient, **form: object) -> tuple[int, str]:
    data = {"url": "http://127.0.0.1:9/in", "events": ["appointment.booked", "lead.created"], "description": "CRM"}
    data.update(form)
    answer = client.post("/integrations", data=data)
    if answer.status_code == 200:
        assert answer.headers["Cache-Control"] == "no-store"  # the secret is not kept by a cache
    return answer.status_code, answer.get_data(as_text=True)


def _endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(owner_client: FlaskClient) -> None:
    status, page = _add(owner_client)
    assert status == 200, page
    secret = SECRET.search(page)
    assert secret is not None and 'data-copy="secret"' in page
    [endpoint] = _endpoints()
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.enabled) == (
        "http://127.0.0.1:9/in",
        ["appointment.booked", "lead.created"],
        "CRM",
        True,
    )
    listing = owner_client.get("/integrations").get_data(as_text=True)
    assert "http://127.0.0.1:9/in" in listing and "lead.created" in listing
    assert secret.group(1) not in listing and "whsec_" not in listing


def test_bad_endpoint_input_names_each_field_and_stores_nothing(owner_client: FlaskClient) -> None:
    status, page = _add(owner_client, url="ftp://hooks.example.com", events=[], description="x" * 301)
    assert status == 422
    assert page.count('class="error"') >= 3
    assert "Choose one or more of the event types" in page and "Use at most 300 characters." in page
    status, page = _add(owner_client, events=["appointment.teleported"])
    assert status == 422 and "Choose one or more" in page
    assert _endpoints() == []


def test_rotate_shows_a_new_secret_and_the_old_one_keeps_signing(owner_client: FlaskClient) -> None:
    first = SECRET.search(_add(owner_client)[1])
    [endpoint] = _endpoints()
    page = owner_client.post(f"/integrations/{endpoint.id}/rotate").get_data(as_text=True)
    second = SECRET.search(page)
    assert first and second and first.group(1) != second.group(1)
    assert "24 hours" in page
    [endpoint] = _endpoints()
    assert endpoint.previous_secret_sealed is not None


def test_disable_enable_and_delete_after_confirmation(owner_client: FlaskClient) -> None:
    _add(owner_client)
    [endpoint] = _endpoints()
    assert owner_client.post(f"/integrations/{endpoint.id}/disable").status_code == 302
    assert not _endpoints()[0].enabled
    assert "disabled" in owner_client.get("/integrations").get_data(as_text=True)
    assert owner_client.post(f"/integrations/{endpoint.id}/enable").status_code == 302
    assert _endpoints()[0].enabled
    confirm = owner_client.get(f"/integrations/{endpoint.id}/delete")
    assert confirm.status_code == 200 and "Its delivery log is kept" in confirm.get_data(as_text=True)
    assert _endpoints()[0].deleted_at is None  # asking is not deleting
    assert owner_client.post(f"/integrations/{endpoint.id}/delete").status_code == 302
    [gone] = _endpoints()
    assert gone.deleted_at is not None and not gone.enabled
    assert owner_client.get(f"/integrations/{endpoint.id}").status_code == 404
    assert "http://127.0.0.1:9/in" not in owner_client.get("/integrations").get_data(as_text=True)


def test_actions_without_the_csrf_token_change_nothing(
    owner_client: FlaskClient, business_user: User, csrf_enabled: None
) -> None:
    assert owner_client.post("/integrations", data={"url": "http://127.0.0.1:9/in"}).status_code == 400
    assert _endpoints() == []


def test_members_other_roles_and_other_businesses_are_refused(
    app: Flask, owner_client: FlaskClient, business_user: User, closer: User, make_user: object
) -> None:
    _add(owner_client)
    [endpoint] = _endpoints()
    member = _logged_in(app, add_member(business_user, "mia@acme.example", "Mia Member"))
    assert member.get("/integrations").status_code == 403
    assert (
        member.post("/integrations", data={"url": "http://127.0.0.1:9/x", "events": ["lead.created"]}).status_code
        == 403
    )
    assert member.post(f"/integrations/{endpoint.id}/disable").status_code == 403
    assert _logged_in(app, closer).get("/integrations").status_code == 403
    stranger = _logged_in(app, make_user("business", email="other@example.com"))  # type: ignore[operator]
    assert stranger.get(f"/integrations/{endpoint.id}").status_code == 404
    assert stranger.post(f"/integrations/{endpoint.id}/disable").status_code == 404
    assert app.test_client().get("/integrations").status_code == 302  # to the login page
    assert _endpoints()[0].enabled and db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1


def test_the_business_page_links_the_owner_to_integrations(owner_client: FlaskClient, business_user: User) -> None:
    page = owner_client.get(f"/businesses/{business_user.business_id}").get_data(as_text=True)
    assert 'href="/integrations"' in page


def test_the_page_speaks_french(app: Flask, make_user: object) -> None:
    owner = make_user("business", email="fr@example.com", language="fr")  # type: ignore[operator]
    page = _logged_in(app, owner).get("/integrations").get_data(as_text=True)
    assert "Ajouter un point de terminaison" in page
