"""The booking page's consents: the SMS box (unticked by default, stored with its words and time on the lead,
shown in the leads API) and call recording (the offer says so; explicit consent required where every party must
agree, read from the phone number; stored on the call and shown to the closer)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.leads.models import Lead
from tests.conftest import _logged_in
from tests.integration.booking_setup import frozen, setting
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_pages import prospect_form, text

__all__ = ["frozen", "setting"]  # fixtures


def url(setting: dict[str, Any]) -> str:
    return f"/book/{setting['offer'].booking_key}/confirm?tz=America/New_York"


def test_the_sms_box_is_unticked_and_a_ticked_box_stores_the_consent_on_the_lead(
    client: FlaskClient, setting: dict[str, Any], frozen: Any
) -> None:
    page = text(client.get(url(setting) + "&start=2026-06-02T07:00:00Z"))
    box = page[page.index('name="sms_consent"') - 200 : page.index('name="sms_consent"') + 100]
    assert "checked" not in box
    assert "Reply STOP" in page
    assert 'data-testid="recording-notice"' not in page  # the offer does not record

    # Ticked without a phone: refused, nothing booked.
    refused = client.post(url(setting), data=prospect_form(phone="", sms_consent="y"))
    assert refused.status_code == 422 and "to get text reminders" in text(refused)
    assert db.session.scalars(select(Appointment)).all() == []

    assert client.post(url(setting), data=prospect_form(sms_consent="y")).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.sms_consent_at == frozen and lead.sms_consent_phone == "+12125550100"
    assert lead.sms_consent_text is not None and "Reply STOP" in lead.sms_consent_text
    body = client.get(f"/api/v1/leads/{lead.id}", headers=bearer(setting["owner"])).get_json()
    assert body["sms_consent"] == {"given_at": "2026-06-01T06:00:00Z", "text": lead.sms_consent_text}


def test_no_sms_consent_when_the_box_is_left_unticked(client: FlaskClient, setting: dict[str, Any]) -> None:
    assert client.post(url(setting), data=prospect_form()).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.sms_consent_at is None
    body = client.get(f"/api/v1/leads/{lead.id}", headers=bearer(setting["owner"])).get_json()
    assert body["sms_consent"] is None


def test_a_recorded_offer_asks_all_party_consent_jurisdictions_for_explicit_consent(
    app: Flask, client: FlaskClient, setting: dict[str, Any], frozen: Any
) -> None:
    offer = setting["offer"]
    owner = bearer(setting["owner"])
    current = client.get(f"/api/v1/offers/{offer.id}", headers=owner).get_json()
    assert current["calls_recorded"] is False
    body = {k: current[k] for k in ("name", "description", "closing_script", "qualification_notes", "active")}
    body.update(price={"amount": current["price"]["amount"]}, booking_questions=current["booking_questions"])
    assert (
        client.put(f"/api/v1/offers/{offer.id}", json={**body, "calls_recorded": "yes"}, headers=owner).status_code
        == 422
    )
    changed = client.put(f"/api/v1/offers/{offer.id}", json={**body, "calls_recorded": True}, headers=owner)
    assert changed.status_code == 200 and changed.get_json()["calls_recorded"] is True

    page = text(client.get(url(setting) + "&start=2026-06-02T07:00:00Z"))
    assert 'data-testid="recording-notice"' in page
    # A California number (all-party consent) without the box: refused, nothing booked.
    california = prospect_form(phone="+1 415 555 0100")
    refused = client.post(url(setting), data=california)
    assert refused.status_code == 422 and "explicit consent" in text(refused)
    assert db.session.scalars(select(Appointment)).all() == []
    assert client.post(url(setting), data={**california, "recording_consent": "y"}).status_code == 302
    call = db.session.scalars(select(Appointment)).one()
    assert call.recording_consent_at == frozen and call.recording_jurisdiction == "US-CA"

    # The closer reads it on the call's page.
    page = text(_logged_in(app, setting["closer"]).get(f"/appointments/{call.id}"))
    assert 'data-testid="recording-consent"' in page


def test_a_one_party_jurisdiction_books_a_recorded_call_without_the_box(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    offer = setting["offer"]
    offer.calls_recorded = True
    db.session.commit()
    assert client.post(url(setting), data=prospect_form()).status_code == 302  # New York: one-party
    call = db.session.scalars(select(Appointment)).one()
    assert call.recording_consent_at is None and call.recording_jurisdiction == "US-NY"


def test_the_offer_form_declares_recorded_calls(business_client: FlaskClient) -> None:
    from closerhub.businesses.models import Offer
    from tests.integration.test_offers import offer_form

    assert business_client.post("/offers/new", data=offer_form(calls_recorded="y")).status_code == 302
    offer = db.session.scalars(select(Offer)).one()
    assert offer.calls_recorded is True
    page = business_client.get(f"/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'name="calls_recorded"' in page and "checked" in page[page.index('name="calls_recorded"') - 120 :][:240]
