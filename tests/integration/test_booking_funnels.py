"""Prospect pages for funnels: the brand and the call before booking, no marketplace chrome, prefill and
``utm_*`` by URL, framing only by the business's listed origins, the embed script, brand settings."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.businesses.models import Business
from closerhub.closers.models import CloserLanguage, CloserProfile, LanguageLevel
from closerhub.extensions import db
from closerhub.leads.models import Lead
from tests.integration.booking_setup import frozen, setting
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_pages import key, prospect_form, text

__all__ = ["frozen", "setting"]


def brand(owner: User, **values: Any) -> Business:
    business = db.session.get(Business, owner.business_id)
    for name, value in values.items():
        setattr(business, name, value)
    db.session.commit()
    return business


def test_the_booking_page_shows_brand_call_and_no_marketplace_chrome(client: FlaskClient, setting: dict) -> None:
    brand(setting["owner"], brand_color="#aa3300", logo_url="https://cdn.example.com/logo.png")
    setting["offer"].call_minutes, setting["offer"].start_increment_minutes = 45, 15
    db.session.commit()
    for url in (f"/book/{key(setting)}?tz=Europe/Paris", f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z"):
        body = text(client.get(url))
        assert "Acme Coaching" in body and 'src="https://cdn.example.com/logo.png"' in body
        assert "45-minute call" in body and "By phone or video" in body
        assert "Log in" not in body and "Sign up" not in body and "Powered by CloserHub" in body
        assert f"/book/{key(setting)}/brand.css" in body
    css = client.get(f"/book/{key(setting)}/brand.css")
    assert css.mimetype == "text/css" and "--brand: #aa3300" in text(css)
    confirm = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&tz=Europe/Paris"))
    assert "09:00–09:45" in confirm  # the offer's length, before booking


def test_a_named_closer_is_shown_with_photo_and_languages(client: FlaskClient, setting: dict) -> None:
    profile = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == setting["closer"].id))
    profile.photo_url = "https://cdn.example.com/claire.jpg"
    profile.languages = [CloserLanguage(code="fr", level=LanguageLevel.NATIVE)]
    db.session.commit()
    body = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&closer={setting['closer'].id}"))
    assert 'data-testid="closer-card"' in body and "With Claire Closer" in body
    assert 'src="https://cdn.example.com/claire.jpg"' in body and "Speaks French" in body


def test_prefill_and_utm_reach_the_form_and_the_new_leads_source(client: FlaskClient, setting: dict) -> None:
    funnel = "name=Nora%20York&email=nora@example.com&phone=%2B12125550100&utm_source=ads&utm_campaign=june"
    page = text(client.get(f"/book/{key(setting)}?tz=America/New_York&{funnel}"))
    assert "utm_source=ads" in page and "name=Nora" in page  # the slot links carry the funnel along
    confirm = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&{funnel}"))
    assert 'value="Nora York"' in confirm and 'value="nora@example.com"' in confirm
    response = client.post(f"/book/{key(setting)}/confirm?tz=America/New_York&{funnel}", data=prospect_form())
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.source == "booking page (utm_source=ads&utm_campaign=june)"


def test_framing_is_allowed_only_for_the_listed_origins_and_only_embedded(client: FlaskClient, setting: dict) -> None:
    plain = client.get(f"/book/{key(setting)}")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"
    unlisted = client.get(f"/book/{key(setting)}?embed=1")  # no origins listed yet
    assert "frame-ancestors 'none'" in unlisted.headers["Content-Security-Policy"]
    brand(setting["owner"], embed_origins=["https://www.acme.example", "http://127.0.0.1:8123"])
    embedded = client.get(f"/book/{key(setting)}?embed=1&tz=Europe/Paris")
    csp = embedded.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.acme.example http://127.0.0.1:8123" in csp
    assert "X-Frame-Options" not in embedded.headers
    assert "embed=1" in text(embedded) and "booking_embed.js" in text(embedded)
    assert "frame-ancestors 'none'" in client.get(f"/book/{key(setting)}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]  # other pages unchanged


def test_the_embed_script_is_served(client: FlaskClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200 and "data-closerhub-key" in text(response)
    assert "data-closerhub-lang" in text(response)  # the host page may choose the page's language
    assert response.mimetype in ("application/javascript", "text/javascript")


def test_the_done_page_tells_the_host_page_what_was_booked(client: FlaskClient, setting: dict) -> None:
    response = client.post(f"/book/{key(setting)}/confirm?tz=America/New_York&embed=1", data=prospect_form())
    assert response.status_code == 302 and "embed=1" in response.headers["Location"]
    done = text(client.get(response.headers["Location"]))
    appointment = db.session.scalars(select(Appointment)).one()
    assert 'data-closerhub-booked=\'{"end": "2026-06-02T08:00:00Z", "start": "2026-06-02T07:00:00Z"}\'' in done
    assert appointment.starts_at.isoformat().startswith("2026-06-02T07:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brand_color", "red"),
        ("brand_color", "#12345"),
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "ftp://x.example/logo.png"),
        ("embed_origins", ["https://*.example.com"]),
        ("embed_origins", ["https://www.example.com/path"]),
        ("embed_origins", ["www.example.com"]),
        ("embed_origins", [f"https://s{i}.example.com" for i in range(21)]),
    ],
)
def test_bad_brand_input_is_a_422_naming_the_field_and_changes_nothing(
    client: FlaskClient, business_user: User, field: str, value: Any
) -> None:
    headers = bearer(business_user)
    me = client.get("/api/v1/businesses/me", headers=headers).get_json()
    body = {k: me[k] for k in ("name", "website", "timezone", "currency")} | {field: value}
    response = client.put("/api/v1/businesses/me", json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in {e["field"].split(".")[0].split("[")[0] for e in response.get_json()["errors"]}
    assert client.get("/api/v1/businesses/me", headers=headers).get_json() == me


def test_the_owner_sets_brand_and_embed_origins_through_the_api(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    me = client.get("/api/v1/businesses/me", headers=headers).get_json()
    body = {k: me[k] for k in ("name", "website", "timezone", "currency")} | {
        "brand_color": "#A30",
        "logo_url": "https://cdn.example.com/l.png",
        "embed_origins": ["https://WWW.Example.com/", "https://www.example.com", "http://localhost:8000"],
    }
    saved = client.put("/api/v1/businesses/me", json=body, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    data = saved.get_json()
    assert data["brand_color"] == "#aa3300" and data["logo_url"] == "https://cdn.example.com/l.png"
    assert data["embed_origins"] == ["https://www.example.com", "http://localhost:8000"]  # exact, deduplicated


def test_the_business_settings_form_saves_the_brand_and_refuses_a_wildcard(
    business_client: FlaskClient, business_user: User
) -> None:
    business = db.session.get(Business, business_user.business_id)
    form = {
        "name": business.name,
        "timezone": business.timezone,
        "currency": business.currency,
        "brand_color": "#1d4ed8",
        "logo_url": "",
        "embed_origins": "https://www.example.com\nhttps://*.example.com",
    }
    refused = business_client.post(f"/businesses/{business.id}", data=form)
    assert refused.status_code == 422 and "Wildcards are not allowed" in text(refused)
    db.session.refresh(business)
    assert business.embed_origins == [] and business.brand_color is None
    ok = business_client.post(f"/businesses/{business.id}", data=form | {"embed_origins": "https://www.example.com"})
    assert ok.status_code == 302
    db.session.refresh(business)
    assert business.embed_origins == ["https://www.example.com"] and business.brand_color == "#1d4ed8"


def test_the_dashboard_share_panel_gives_link_embed_code_and_qr_code(
    business_client: FlaskClient, setting: dict
) -> None:
    body = text(business_client.get("/dashboard"))
    assert 'data-testid="share-panel"' in body
    assert f"/book/{key(setting)}" in body
    assert "/embed.js&#34; data-closerhub-key=&#34;" + key(setting) in body  # the script tag, escaped
    assert '<svg role="img"' in body and "QR code of the booking page: High-ticket coaching" in body


def test_the_zone_picker_lists_canonical_zones_only_and_maps_an_alias(client: FlaskClient, setting: dict) -> None:
    assert '<option value="Asia/Kolkata" selected>' in text(client.get(f"/book/{key(setting)}?tz=Asia/Calcutta"))
    body = text(client.get(f"/book/{key(setting)}?tz=Asia/Calcutta&zones=all"))  # the whole list (no JavaScript)
    assert '<option value="Asia/Kolkata" selected>' in body
    assert 'value="Asia/Calcutta"' not in body and 'value="US/Eastern"' not in body
    assert 'value="America/New_York"' in body and 'value="UTC"' in body and "zone_filter.js" in body
