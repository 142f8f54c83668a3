"""Every "new" page works without parameters: it asks for what it needs first.

``/engagements/new`` asks for the closer (the ones already proposed to, or the search);
``/appointments/new`` asks for the lead and the offer. A bad pick shows the page again with
the message beside its field and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.leads import service as leads
from tests.integration.booking_setup import frozen, lead_details, setting, snapshot
from tests.integration.test_engagements import make_offer, state

__all__ = ["frozen", "setting"]  # fixtures


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def error_beside(html: str, field: str) -> str:
    """The message shown beside ``field`` (its ``<small class="error" id="<field>-err">``), or ''."""
    match = re.search(rf'class="error" id="{field}-err">([^<]*)<', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize("url", ["/engagements/new", "/appointments/new", "/leads/new", "/offers/new"])
def test_every_new_page_answers_without_parameters(business_client: FlaskClient, url: str) -> None:
    response = business_client.get(url)
    assert response.status_code == 200
    assert "<form" in text(response)


def test_a_new_engagement_without_a_closer_offers_the_closers_already_proposed_to_and_the_search(
    business_client: FlaskClient, business_user: User, setting: dict[str, Any], make_user: Any
) -> None:
    make_user("closer", email="never@example.com", name="Nadia Neverasked")
    html = text(business_client.get("/engagements/new"))
    assert 'name="closer_id"' in html and "Claire Closer" in html
    assert "Nadia Neverasked" not in html  # not found by this business yet: the search finds her
    assert 'href="/closers' in html
    # Picking a closer leads to the proposal form for them.
    response = business_client.get(f"/engagements/new?closer_id={setting['closer'].id}")
    assert response.status_code == 200 and 'name="rate_percent"' in text(response)


def test_a_new_engagement_with_no_closer_picked_says_so_beside_the_field_and_changes_nothing(
    business_client: FlaskClient, setting: dict[str, Any]
) -> None:
    before = state()
    response = business_client.get("/engagements/new?closer_id=")
    assert response.status_code == 422
    assert error_beside(text(response), "closer_id") == "Choose a closer."
    assert business_client.post("/engagements/new", data={"offer_id": "1", "rate_percent": "15"}).status_code == 400
    assert state() == before


def test_a_new_engagement_for_a_business_with_no_closer_yet_points_to_the_search(business_client: FlaskClient) -> None:
    html = text(business_client.get("/engagements/new"))
    assert "Find a closer" in html and 'href="/closers' in html


def test_a_new_appointment_without_a_lead_offers_the_leads_and_offers_and_leads_on_to_the_booking(
    business_client: FlaskClient, business_user: User, setting: dict[str, Any]
) -> None:
    lead = leads.create_lead(db.session, business_user, lead_details(), now=clock.utcnow())
    make_offer(business_user, "Retired offer", active=False)
    html = text(business_client.get("/appointments/new"))
    assert 'name="lead_id"' in html and "Paula Prospect" in html
    assert 'name="offer_id"' in html and setting["offer"].name in html and "Retired offer" not in html
    assert 'href="/leads/new"' in html
    response = business_client.get(f"/appointments/new?lead_id={lead.id}&offer_id={setting['offer'].id}")
    assert response.status_code == 200 and "Route automatically" in text(response)


def test_a_new_appointment_with_no_lead_picked_says_so_beside_the_field_and_changes_nothing(
    business_client: FlaskClient, business_user: User, setting: dict[str, Any]
) -> None:
    leads.create_lead(db.session, business_user, lead_details(), now=clock.utcnow())
    before = snapshot()
    response = business_client.get(f"/appointments/new?lead_id=&offer_id={setting['offer'].id}")
    assert response.status_code == 422
    assert error_beside(text(response), "lead_id") == "Choose a lead."
    response = business_client.post("/appointments/new", data={"start": "2026-06-02T07:00:00Z", "channel": "video"})
    assert response.status_code == 400
    assert snapshot() == before


def test_a_closer_cannot_open_the_new_pages_of_a_business(closer_client: FlaskClient) -> None:
    assert closer_client.get("/engagements/new").status_code in (403, 404)
    assert closer_client.get("/appointments/new").status_code in (403, 404)
