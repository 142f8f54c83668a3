"""A French reader gets the errors raised deep in the services in French: on the booking page, in the API.

The messages come from `booking/`, `core/` and the services through `closerhub.core.i18n`; the
language is the user's setting, else the browser's (`Accept-Language`)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh as refresh_babel
from sqlalchemy import select

from closerhub.accounts.models import ApiToken
from closerhub.closers.commands import LanguageSkill
from closerhub.closers.profile_fields import clean_languages
from closerhub.core.errors import ValidationError
from closerhub.engagements.service import percent_label
from closerhub.extensions import db
from tests.integration.booking_setup import frozen, lead_data, setting, snapshot
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_pages import key, prospect_form, text

__all__ = ["frozen", "setting"]  # fixtures

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
PHONE_NEEDED_EN = "A phone call needs the prospect's phone number"
PHONE_NEEDED_FR = "Un appel téléphonique nécessite le numéro de téléphone du prospect"
OUTSIDE_HOURS_FR = "mar. 2 juin 2026, 05:00 (Paris) ne fait pas partie des créneaux disponibles du closer"


def field_error(problem: dict[str, Any], field: str) -> str:
    (message,) = [e["message"] for e in problem["errors"] if e["field"] == field]
    return str(message)


def _phone_call_without_a_number(setting: dict[str, Any]) -> dict[str, Any]:
    return {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "phone",
        "lead": lead_data(phone=None),
    }


def test_a_french_prospect_reads_the_booking_services_refusals_in_french(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    before = snapshot()
    url = f"/book/{key(setting)}/confirm?tz=Europe/Paris"
    french = client.post(url, data=prospect_form(channel="phone", phone=""), headers=FRENCH)
    assert french.status_code == 422
    assert PHONE_NEEDED_FR in text(french) and PHONE_NEEDED_EN not in text(french)
    # The start check of booking/slots.py: 03:00 UTC is before the closer's hours.
    outside = client.post(url, data=prospect_form(start="2026-06-02T03:00:00Z"), headers=FRENCH)
    assert outside.status_code == 422 and OUTSIDE_HOURS_FR in text(outside)
    english = client.post(url, data=prospect_form(channel="phone", phone=""))
    assert PHONE_NEEDED_EN in html.unescape(text(english))  # the same refusal, to an English browser
    assert snapshot() == before


def test_a_funnel_without_a_user_gets_the_api_errors_in_the_browsers_language(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    before = snapshot()
    body = {**_phone_call_without_a_number(setting), "booking_key": setting["offer"].booking_key}
    del body["engagement_id"]
    english = client.post("/api/v1/appointments", json=body)
    french = client.post("/api/v1/appointments", json=body, headers=FRENCH)
    assert english.status_code == french.status_code == 422
    en, fr = english.get_json(), french.get_json()
    assert en["code"] == fr["code"] and en["type"] == fr["type"]  # what a program reads does not change
    assert (en["title"], fr["title"]) == ("Invalid input", "Saisie invalide")
    assert PHONE_NEEDED_EN in field_error(en, "lead.phone") and PHONE_NEEDED_FR in field_error(fr, "lead.phone")
    assert snapshot() == before


def test_a_token_owners_language_wins_over_the_clients(client: FlaskClient, setting: dict[str, Any]) -> None:
    owner = setting["owner"]
    english = client.post("/api/v1/appointments", json=_phone_call_without_a_number(setting), headers=bearer(owner))
    assert PHONE_NEEDED_EN in field_error(english.get_json(), "lead.phone")
    owner.language = "fr"
    db.session.commit()
    french = client.post(
        "/api/v1/appointments",
        json=_phone_call_without_a_number(setting),
        headers={**bearer(owner), "Accept-Language": "en"},  # as on the web: the user's setting, then the browser
    )
    assert french.status_code == 422 and french.get_json()["title"] == "Saisie invalide"
    assert PHONE_NEEDED_FR in field_error(french.get_json(), "lead.phone")


def test_a_token_owners_language_applies_to_the_checks_of_the_body_too(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    # POST /appointments is public (a funnel books with the offer's key): the body is checked
    # before the view, so the token's owner must be known by then.
    owner = setting["owner"]
    owner.language = "fr"
    db.session.commit()
    body = {**_phone_call_without_a_number(setting), "channel": "fax"}
    response = client.post("/api/v1/appointments", json=body, headers=bearer(owner))
    assert response.status_code == 422 and response.get_json()["title"] == "Saisie invalide"
    valid_shape = _phone_call_without_a_number(setting)
    bad_token = client.post("/api/v1/appointments", json=valid_shape, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401  # a bad token is still refused by the view, as before
    both_bad = client.post("/api/v1/appointments", json=body, headers={"Authorization": "Bearer nope", **FRENCH})
    assert both_bad.status_code == 422 and both_bad.get_json()["title"] == "Saisie invalide"  # the browser's


def test_a_french_prospects_emails_default_to_french(client: FlaskClient, setting: dict[str, Any]) -> None:
    url = f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&tz=Europe/Paris"
    french = text(client.get(url, headers=FRENCH))
    english = text(client.get(url, headers={"Accept-Language": "en-US"}))
    assert re.search(r'<option selected value="fr">|<option value="fr" selected>', french), "French not preselected"
    assert re.search(r'<option selected value="en">|<option value="en" selected>', english), "English not preselected"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [(FRENCH, "anglais figure deux fois dans la liste."), ({}, "English is listed twice.")],
)
def test_names_inside_french_messages_are_french_too(app: Any, headers: dict[str, str], expected: str) -> None:
    with app.test_request_context(headers=headers), pytest.raises(ValidationError) as refused:
        refresh_babel()  # the test's app context outlives the request: forget a language chosen before
        try:
            clean_languages([LanguageSkill("en", "native"), LanguageSkill("en", "fluent")])
        finally:
            refresh_babel()
    assert refused.value.field_errors["languages"] == expected


def test_an_html_error_page_explains_itself_in_the_readers_language(client: FlaskClient) -> None:
    french = client.get("/language/fr", headers=FRENCH)  # a form's target, opened as a link
    assert french.status_code == 405
    assert "Cette page ne s’utilise pas ainsi." in text(french) and "The method is not allowed" not in text(french)
    english = client.get("/language/fr")
    assert "This page cannot be used that way." in html.unescape(text(english))


@pytest.mark.parametrize(("headers", "expected"), [(FRENCH, "12,5\u00a0%"), ({}, "12.5 %")])
def test_percentages_inside_messages_are_written_the_readers_way(
    app: Any, headers: dict[str, str], expected: str
) -> None:
    with app.test_request_context(headers=headers):
        refresh_babel()
        try:
            assert percent_label(1250) == expected
            assert percent_label(1250, "en") == "12.5 %"  # stored text (an engagement's end reason)
        finally:
            refresh_babel()


def test_choosing_the_language_from_a_token_writes_nothing(client: FlaskClient, setting: dict[str, Any]) -> None:
    # A route that does not authenticate (the token endpoint itself), called with a French user's token:
    # the token is read to choose the language, not used (no last-used stamp, no commit).
    owner = setting["owner"]
    owner.language = "fr"
    headers = bearer(owner)
    db.session.commit()
    before = db.session.scalars(select(ApiToken.last_used_at)).all()
    response = client.post(
        "/api/v1/auth/token", json={"email": owner.email, "password": "wrong", "name": "x"}, headers=headers
    )
    assert response.status_code == 401
    db.session.rollback()
    assert db.session.scalars(select(ApiToken.last_used_at)).all() == before == [None]
