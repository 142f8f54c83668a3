"""Closers awaiting vetting are invisible: every route that shows a closer answers 404 to everyone
but admins and the closer themself, until an admin approves them (issue 14, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.businesses.offers import OfferData, create_offer
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import UserFactory, _logged_in
from tests.integration.booking_setup import frozen, lead_data, setting
from tests.integration.test_api_accounts import bearer

__all__ = ["frozen", "setting"]  # fixtures

HIDDEN = [VettingStatus.IN_REVIEW, VettingStatus.CHANGES_REQUESTED, VettingStatus.REJECTED]


@pytest.fixture(params=HIDDEN, ids=lambda s: s.value)
def unvetted(request: pytest.FixtureRequest, make_user: UserFactory) -> User:
    """A closer in review, asked for changes, or rejected (the last two were approved once, then not)."""
    closer = make_user("closer", name="Vera Vetting", email="vera@example.com", approved=False)
    db.session.get(CloserVetting, closer.id).status = request.param
    db.session.commit()
    return closer


def _closer_urls(closer: User) -> list[str]:
    return [
        f"/closers/{closer.id}",
        f"/api/v1/closers/{closer.id}",
        f"/api/v1/closers/{closer.id}/slots",
    ]


def test_a_closer_in_vetting_is_a_404_to_a_business_on_the_profile_and_the_api(
    app: Flask, unvetted: User, business_user: User, business_client: FlaskClient, client: FlaskClient
) -> None:
    page = business_client.get(f"/closers/{unvetted.id}")
    assert page.status_code == 404 and "Vera" not in page.get_data(as_text=True)
    headers = bearer(business_user)
    for url in _closer_urls(unvetted)[1:]:
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert "Vera" not in response.get_data(as_text=True)


def test_a_closer_in_vetting_is_a_404_to_another_closer(
    app: Flask, unvetted: User, closer: User, closer_client: FlaskClient, client: FlaskClient
) -> None:
    assert closer_client.get(f"/closers/{unvetted.id}").status_code == 404
    assert client.get(f"/api/v1/closers/{unvetted.id}", headers=bearer(closer)).status_code == 404


def test_a_closer_in_vetting_and_an_admin_still_see_the_profile_slots_and_api_detail(
    app: Flask, unvetted: User, admin_user: User, admin_client: FlaskClient, client: FlaskClient
) -> None:
    assert admin_client.get(f"/closers/{unvetted.id}").status_code == 200
    themself = _logged_in(app, unvetted)
    assert themself.get(f"/closers/{unvetted.id}").status_code == 200
    for user in (admin_user, unvetted):
        for url in _closer_urls(unvetted)[1:]:
            assert client.get(url, headers=bearer(user)).status_code == 200, (user.email, url)


def test_an_approved_closer_is_visible_to_businesses(
    app: Flask, closer: User, business_user: User, business_client: FlaskClient, client: FlaskClient
) -> None:
    assert business_client.get(f"/closers/{closer.id}").status_code == 200
    for url in _closer_urls(closer)[1:]:
        assert client.get(url, headers=bearer(business_user)).status_code == 200, url


def test_proposing_an_engagement_to_a_closer_in_vetting_is_answered_like_an_unknown_closer(
    app: Flask, unvetted: User, business_user: User, business_client: FlaskClient, client: FlaskClient
) -> None:
    offer = create_offer(
        db.session, business_user, OfferData(name="Widgets", price=Money(1000, "EUR")), now=clock.utcnow()
    )
    page = business_client.get(f"/engagements/new?closer_id={unvetted.id}")
    assert page.status_code == 404 and "Vera" not in page.get_data(as_text=True)
    body = {"closer_id": unvetted.id, "offer_id": offer.id, "commission_rate_bps": 1500}
    response = client.post("/api/v1/engagements", json=body, headers=bearer(business_user))
    assert response.status_code == 422
    assert "Vera" not in response.get_data(as_text=True)
    unknown = client.post("/api/v1/engagements", json={**body, "closer_id": 999999}, headers=bearer(business_user))
    assert response.json["errors"] == unknown.json["errors"]


def test_search_leaves_out_a_closer_in_vetting(
    app: Flask, unvetted: User, business_user: User, business_client: FlaskClient, client: FlaskClient
) -> None:
    assert "Vera" not in business_client.get("/closers").get_data(as_text=True)
    listing = client.get("/api/v1/closers", headers=bearer(business_user)).json
    assert unvetted.id not in [c["id"] for c in listing["data"]]


def test_a_closer_sent_back_to_vetting_disappears_from_the_booking_page_and_booking_by_name(
    client: FlaskClient, business_client: FlaskClient, setting: dict[str, Any]
) -> None:
    closer = setting["closer"]
    db.session.get(CloserVetting, closer.id).status = VettingStatus.CHANGES_REQUESTED
    db.session.commit()
    key = setting["offer"].booking_key
    page = client.get(f"/book/{key}?closer={closer.id}")
    assert page.status_code == 200 and closer.name not in page.get_data(as_text=True)
    body = {"start": "2026-06-02T07:00:00Z", "channel": "video", "closer_id": closer.id, "lead": lead_data()}
    response = client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": key})
    assert response.status_code == 422 and closer.name not in response.get_data(as_text=True)
    assert business_client.get(f"/closers/{closer.id}").status_code == 404
