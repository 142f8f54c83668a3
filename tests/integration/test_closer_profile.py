"""A closer's profile through the HTML pages: editing it (all or nothing) and the public page businesses see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.closers.models import CloserIndustry, CloserLanguage, CloserProfile, LanguageLevel, MeetingMode
from closerhub.extensions import db

NOW = datetime(2026, 1, 4, 12, 0, tzinfo=UTC)  # a Sunday, 13:00 in Paris

GOOD = {
    "headline": "High-ticket coaching closer",
    "bio": "Ten years on the phone.\nFrench and English.",
    "languages-0-code": "fr",
    "languages-0-level": "native",
    "languages-1-code": "en",
    "languages-1-level": "fluent",
    "languages-2-code": "",
    "languages-2-level": "fluent",
    "industries": ["coaching", "saas"],
    "years_experience": "10",
    "timezone": "Europe/Paris",
    "min_rate_percent": "12.5",
    "phone": "06 12 34 56 78",
    "meeting_mode": "generated_room",
    "meeting_url": "",
}


def profile_of(user: User) -> CloserProfile:
    db.session.expire_all()
    return db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == user.id))


def snapshot(user: User) -> dict[str, Any]:
    """Everything the profile form can change, read back from the database."""
    profile = profile_of(user)
    return {
        "profile": (
            profile.headline,
            profile.bio,
            profile.min_rate_bps,
            profile.phone_e164,
            profile.meeting_mode,
            profile.meeting_url,
            profile.years_experience,
            profile.updated_at,
        ),
        "languages": sorted((row.code, row.level.value) for row in profile.languages),
        "industries": sorted(row.industry for row in profile.industries),
        "timezone": db.session.get(User, user.id).timezone,
    }


def test_signing_up_as_a_closer_creates_an_empty_profile(closer: User) -> None:
    profile = profile_of(closer)
    assert profile is not None and profile.headline == "" and profile.min_rate_bps == 1000
    assert profile.created_at == profile.updated_at and profile.languages == [] and profile.industries == []


def test_a_business_sign_up_creates_no_closer_profile(business_user: User) -> None:
    assert db.session.scalar(select(func.count(CloserProfile.id))) == 0


def test_the_profile_editor_shows_the_saved_profile_with_empty_language_rows(closer_client: FlaskClient) -> None:
    response = closer_client.get("/closers/me/profile")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="languages-0-code"' in html and 'name="languages-2-code"' in html
    assert 'value="10"' in html  # the minimum rate, shown in percent


def test_a_closer_saves_a_complete_profile(closer_client: FlaskClient, closer: User) -> None:
    with clock.frozen_at(NOW):
        response = closer_client.post("/closers/me/profile", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/closers/{closer.id}")
    profile = profile_of(closer)
    assert profile.headline == "High-ticket coaching closer"
    assert profile.bio == "Ten years on the phone.\nFrench and English."
    assert profile.min_rate_bps == 1250 and profile.years_experience == 10
    assert profile.phone_e164 == "+33612345678"  # national format read with the zone's country (FR)
    assert profile.meeting_mode == MeetingMode.GENERATED_ROOM and profile.updated_at == NOW
    assert sorted((r.code, r.level) for r in profile.languages) == [
        ("en", LanguageLevel.FLUENT),
        ("fr", LanguageLevel.NATIVE),
    ]
    assert sorted(r.industry for r in profile.industries) == ["coaching", "saas"]


def test_saving_again_replaces_languages_and_industries_without_duplicates(
    closer_client: FlaskClient, closer: User
) -> None:
    closer_client.post("/closers/me/profile", data=GOOD)
    again = {**GOOD, "languages-0-code": "en", "languages-0-level": "native", "languages-1-code": "es"}
    again["industries"] = ["saas"]
    assert closer_client.post("/closers/me/profile", data=again).status_code == 302
    assert snapshot(closer)["languages"] == [("en", "native"), ("es", "fluent")]
    assert snapshot(closer)["industries"] == ["saas"]
    assert db.session.scalar(select(func.count(CloserLanguage.id))) == 2
    assert db.session.scalar(select(func.count(CloserIndustry.id))) == 1


def test_changing_the_zone_on_the_profile_changes_the_account_zone(closer_client: FlaskClient, closer: User) -> None:
    moved = {**GOOD, "timezone": "America/New_York", "phone": "+33 6 12 34 56 78"}
    assert closer_client.post("/closers/me/profile", data=moved).status_code == 302
    assert snapshot(closer)["timezone"] == "America/New_York"
    assert profile_of(closer).phone_e164 == "+33612345678"


def test_a_national_phone_number_is_read_with_the_country_of_the_new_zone(
    closer_client: FlaskClient, closer: User
) -> None:
    # 06… is a French mobile; for a closer in New York it is no valid US number, so it is refused.
    response = closer_client.post("/closers/me/profile", data={**GOOD, "timezone": "America/New_York"})
    assert response.status_code == 422 and "not a valid phone number" in response.get_data(as_text=True)
    us = {**GOOD, "timezone": "America/New_York", "phone": "(212) 555-0199"}
    assert closer_client.post("/closers/me/profile", data=us).status_code == 302
    assert profile_of(closer).phone_e164 == "+12125550199"


def test_the_add_a_language_button_adds_a_row_and_saves_nothing(closer_client: FlaskClient, closer: User) -> None:
    before = snapshot(closer)
    response = closer_client.post("/closers/me/profile", data={**GOOD, "add_language": "1"})
    assert response.status_code == 200
    assert 'name="languages-3-code"' in response.get_data(as_text=True)
    assert snapshot(closer) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_rate_percent": "9.99"}, "between 10 % and 20 %"),
        ({"min_rate_percent": "20.01"}, "between 10 % and 20 %"),
        ({"min_rate_percent": "abc"}, "Enter a percentage"),
        ({"languages-1-code": "zz"}, "Unknown language code"),
        ({"languages-1-code": "fr"}, "listed twice"),
        ({"languages-1-level": "bilingual"}, "native, fluent or working"),
        ({"industries": ["saas", "crypto"]}, "Unknown industry"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"phone": "12345"}, "not a valid phone number"),
        ({"meeting_mode": "own_url", "meeting_url": "http://meet.example.com/me"}, "https://"),
        ({"meeting_mode": "own_url", "meeting_url": ""}, "Give your meeting link"),
        ({"headline": "x" * 141}, "140"),
        ({"years_experience": "81"}, "0 to 80"),
        ({"bio": "bell\x07char"}, "control characters"),
    ],
)
def test_a_bad_field_shows_the_form_again_with_the_error_and_changes_nothing(
    closer_client: FlaskClient, closer: User, change: dict[str, Any], message: str
) -> None:
    closer_client.post("/closers/me/profile", data=GOOD)
    before = snapshot(closer)
    bad = {**GOOD, "headline": "A new headline", **change}
    response = closer_client.post("/closers/me/profile", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error"' in html
    if "headline" not in change:
        assert 'value="A new headline"' in html  # the input is kept
    assert snapshot(closer) == before


def test_several_bad_fields_are_all_reported_at_once(closer_client: FlaskClient, closer: User) -> None:
    before = snapshot(closer)
    bad = {**GOOD, "min_rate_percent": "25", "languages-0-code": "zz", "phone": "0", "timezone": "Nowhere/Town"}
    html = closer_client.post("/closers/me/profile", data=bad).get_data(as_text=True)
    for message in ("between 10 % and 20 %", "Unknown language code", "not a valid phone number", "Unknown time zone"):
        assert message in html
    assert snapshot(closer) == before


def test_a_business_cannot_open_the_profile_editor(business_client: FlaskClient) -> None:
    assert business_client.get("/closers/me/profile").status_code == 403
    assert business_client.post("/closers/me/profile", data=GOOD).status_code == 403


def test_the_profile_form_needs_its_csrf_token(closer_client: FlaskClient, closer: User, csrf_enabled: None) -> None:
    before = snapshot(closer)
    assert closer_client.post("/closers/me/profile", data=GOOD).status_code == 400
    assert snapshot(closer) == before


# --- the public page -----------------------------------------------------------------------


def test_a_business_sees_the_closers_public_profile(
    closer_client: FlaskClient, business_client: FlaskClient, closer: User
) -> None:
    closer_client.post("/closers/me/profile", data=GOOD)
    with clock.frozen_at(NOW):
        response = business_client.get(f"/closers/{closer.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Claire Closer" in html and "High-ticket coaching closer" in html
    assert "French" in html and "Native" in html and "English" in html
    assert "Coaching" in html and "SaaS" in html
    assert "12.5 %" in html
    assert "Paris" in html and "Local time now: 13:00" in html
    assert "No calls yet." in html
    assert "+33612345678" not in html  # the phone number is private


def test_an_unknown_id_or_a_business_id_is_a_404(business_client: FlaskClient, business_user: User) -> None:
    assert business_client.get("/closers/999999").status_code == 404
    assert business_client.get(f"/closers/{business_user.id}").status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: FlaskClient, closer: User) -> None:
    response = client.get(f"/closers/{closer.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_closer_nav_links_to_profile_and_availability(closer_client: FlaskClient) -> None:
    html = closer_client.get("/dashboard").get_data(as_text=True)
    assert 'href="/closers/me/profile"' in html and 'href="/closers/me/availability"' in html
