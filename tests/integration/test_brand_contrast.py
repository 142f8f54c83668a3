"""A brand colour below WCAG AA never reaches prospects: the settings form and the API refuse it with
its ratio and the nearest passing shade (a one-click choice on the form); stored ones are shown as it."""

from __future__ import annotations

from flask.testing import FlaskClient

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.core.contrast import worst_ratio
from closerhub.extensions import db
from tests.integration.booking_setup import frozen, setting
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_pages import key, text

__all__ = ["frozen", "setting"]

YELLOW_SHADE = "#8a6f00"  # #ffcc00 darkened until 4.5:1 with white and #f6f7fb


def _form(business: Business, **values: str) -> dict[str, str]:
    return {"name": business.name, "timezone": business.timezone, "currency": business.currency} | values


def test_the_form_refuses_a_light_colour_naming_ratio_and_shade_and_changes_nothing(
    business_client: FlaskClient, business_user: User
) -> None:
    business = db.session.get(Business, business_user.business_id)
    business.brand_color = "#1d4ed8"
    db.session.commit()
    refused = business_client.post(
        f"/businesses/{business.id}", data=_form(business, brand_color="#FFCC00", name="Renamed")
    )
    body = text(refused)
    assert refused.status_code == 422
    assert "#ffcc00 is too light for text" in body and "is 1.41:1" in body and "at least 4.5:1" in body
    assert f"The nearest shade that passes is {YELLOW_SHADE}" in body
    assert 'data-testid="brand-shade"' in body and f'value="#FFCC00>{YELLOW_SHADE}"' in body
    db.session.refresh(business)
    assert business.brand_color == "#1d4ed8" and business.name != "Renamed"


def test_one_click_saves_the_proposed_shade(business_client: FlaskClient, business_user: User) -> None:
    business = db.session.get(Business, business_user.business_id)
    data = _form(business, brand_color="#ffcc00", use_brand_color=f"#ffcc00>{YELLOW_SHADE}")
    assert business_client.post(f"/businesses/{business.id}", data=data).status_code == 302
    db.session.refresh(business)
    assert business.brand_color == YELLOW_SHADE and worst_ratio(YELLOW_SHADE, ("#ffffff", "#f6f7fb")) >= 4.5


def test_the_shade_is_not_taken_once_the_field_was_edited_or_when_forged(
    business_client: FlaskClient, business_user: User
) -> None:
    business = db.session.get(Business, business_user.business_id)
    edited = _form(business, brand_color="#0b5cad", use_brand_color=f"#ffcc00>{YELLOW_SHADE}")
    assert business_client.post(f"/businesses/{business.id}", data=edited).status_code == 302
    db.session.refresh(business)
    assert business.brand_color == "#0b5cad"  # what was typed after the suggestion
    forged = _form(business, brand_color="#ffcc00", use_brand_color="#ffcc00>#ffee00")
    assert business_client.post(f"/businesses/{business.id}", data=forged).status_code == 422
    db.session.refresh(business)
    assert business.brand_color == "#0b5cad"


def test_the_api_refuses_a_light_colour_with_ratio_and_shade(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    me = client.get("/api/v1/businesses/me", headers=headers).get_json()
    body = {k: me[k] for k in ("name", "website", "timezone", "currency")} | {"brand_color": "#1f6feb"}
    response = client.put("/api/v1/businesses/me", json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert "4.32:1" in errors["brand_color"] and "#196bea" in errors["brand_color"]
    assert client.get("/api/v1/businesses/me", headers=headers).get_json() == me
    ok = client.put("/api/v1/businesses/me", json=body | {"brand_color": "#196bea"}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["brand_color"] == "#196bea"


def test_the_message_is_french_for_a_french_owner(client: FlaskClient, business_user: User) -> None:
    business_user.language = "fr"
    db.session.commit()
    headers = bearer(business_user)
    me = client.get("/api/v1/businesses/me", headers=headers).get_json()
    body = {k: me[k] for k in ("name", "website", "timezone", "currency")} | {"brand_color": "#ffcc00"}
    errors = client.put("/api/v1/businesses/me", json=body, headers=headers).get_json()["errors"]
    assert any(
        "1,41\u202f:1" in e["message"] and "trop claire" in e["message"] and YELLOW_SHADE in e["message"]
        for e in errors
    )


def test_a_stored_failing_colour_is_shown_as_its_nearest_passing_shade(client: FlaskClient, setting: dict) -> None:
    business = db.session.get(Business, setting["owner"].business_id)
    business.brand_color = "#ffcc00"  # older data, saved before the check
    db.session.commit()
    css = text(client.get(f"/book/{key(setting)}/brand.css"))
    assert f"--brand: {YELLOW_SHADE};" in css and "#ffcc00" not in css
    business.brand_color = "#1d4ed8"
    db.session.commit()
    css = text(client.get(f"/book/{key(setting)}/brand.css"))
    assert "--brand: #1d4ed8;" in css and "--brand-dark: #" in css and "--brand-dark: #1d4ed8" not in css
