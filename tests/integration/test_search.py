"""Businesses search closers: SQL filters, the documented ranking, reasons, pages, HTML and API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import AccountStatus, User
from closerhub.closers import service as closers
from closerhub.closers.models import AvailabilitySummary
from closerhub.core import matching
from closerhub.extensions import db
from tests.conftest import PASSWORD, UserFactory

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning
WEEK = matching.reference_week_start(NOW.date())


def hours(utc_start: int, utc_end: int) -> str:
    """Mask of weekday hours utc_start–utc_end in UTC."""
    intervals = [(WEEK + timedelta(days=d, hours=utc_start), WEEK + timedelta(days=d, hours=utc_end)) for d in range(5)]
    return matching.mask_to_hex(matching.weekly_mask(intervals, WEEK))


def make_closer(
    make_user: UserFactory,
    name: str,
    *,
    languages: list[dict[str, str]],
    industries: list[str],
    rate: int = 1000,
    zone: str = "Europe/Paris",
    next_in: timedelta | None = timedelta(days=1),
    slots: int = 10,
    mask: str = "0" * 42,
    headline: str = "",
) -> User:
    user = make_user("closer", name=name, timezone=zone)
    closers.update_profile(
        db.session,
        user,
        closers.ProfileData(
            headline=headline,
            languages=tuple(closers.LanguageSkill(**lang) for lang in languages),
            industries=tuple(industries),
            timezone=zone,
            min_rate_bps=rate,
        ),
        now=NOW,
    )
    db.session.merge(
        AvailabilitySummary(
            closer_id=user.id,
            next_available_at=NOW + next_in if next_in else None,
            free_slots_7d=slots,
            free_slots_14d=slots * 2,
            weekly_minutes=[],
            weekly_hours_mask=mask,
            refreshed_at=NOW,
        )
    )
    db.session.commit()
    return user


@pytest.fixture
def market(make_user: UserFactory) -> dict[str, User]:
    return {
        "claire": make_closer(
            make_user,
            "Claire",
            languages=[{"code": "fr", "level": "native"}],
            industries=["coaching"],
            rate=1500,
            mask=hours(8, 12),
            headline="Coaching closer",
        ),
        "jake": make_closer(
            make_user,
            "Jake",
            languages=[{"code": "en", "level": "native"}, {"code": "fr", "level": "working"}],
            industries=["saas", "coaching"],
            rate=1200,
            zone="America/Los_Angeles",
            mask=hours(17, 23),
            slots=30,
        ),
        "priya": make_closer(
            make_user,
            "Priya",
            languages=[{"code": "en", "level": "fluent"}],
            industries=["saas"],
            rate=2000,
            zone="Asia/Kolkata",
            next_in=timedelta(days=20),
        ),
        "nobody": make_closer(
            make_user,
            "Nobody",
            languages=[{"code": "fr", "level": "fluent"}],
            industries=["coaching"],
            next_in=None,
            slots=0,
        ),
    }


@pytest.fixture
def api(client: FlaskClient, business_user: User):
    token = client.post("/api/v1/auth/token", json={"email": business_user.email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}

    def get(**params: object):
        with clock.frozen_at(NOW):
            return client.get("/api/v1/closers", query_string=params, headers=headers)

    return get


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"] for item in response.get_json()["data"]]


def test_a_french_speaker_whose_hours_overlap_paris_mornings_ranks_first(api, market) -> None:
    response = api(language="fr", prospect_timezone="Europe/Paris", available_within_days=7)
    assert names(response) == ["Claire", "Jake"]  # Nobody has no free slot; Priya no French
    first = response.get_json()["data"][0]
    assert "speaks French natively" in first["reasons"]
    assert "20 h/week while your prospects are awake" in first["reasons"]
    assert first["languages"] == [{"code": "fr", "level": "native"}]
    assert first["next_available_at"] == "2026-11-24T08:00:00Z"


def test_filters_by_industry_and_maximum_rate(api, market) -> None:
    assert set(names(api(industry="saas"))) == {"Jake", "Priya"}
    assert names(api(industry="saas", max_rate_bps=1500)) == ["Jake"]
    assert set(names(api(max_rate_bps=1000))) == {"Nobody"}


def test_available_within_days_uses_the_precomputed_next_free_slot(api, market) -> None:
    assert "Priya" not in names(api(available_within_days=14))
    assert "Priya" in names(api(available_within_days=21))


def test_free_text_matches_name_and_headline_case_insensitively(api, market) -> None:
    assert names(api(q="COACHING closer")) == ["Claire"]
    assert names(api(q="jak")) == ["Jake"]
    assert names(api(q="%")) == []  # wildcards are literal


def test_suspended_closers_are_never_found(api, market) -> None:
    market["claire"].status = AccountStatus.SUSPENDED
    db.session.commit()
    assert "Claire" not in names(api(language="fr"))


def test_results_are_paginated_with_a_cursor(api, market) -> None:
    first = api(limit=2)
    body = first.get_json()
    assert len(body["data"]) == 2 and body["next_cursor"]
    second = api(limit=2, cursor=body["next_cursor"])
    rest = second.get_json()
    assert len(rest["data"]) == 2 and rest["next_cursor"] is None
    all_ids = [i["id"] for i in body["data"] + rest["data"]]
    assert len(set(all_ids)) == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"language": "zz"}, "language"),
        ({"industry": "weapons"}, "industry"),
        ({"max_rate_bps": 999}, "max_rate_bps"),
        ({"max_rate_bps": 2001}, "max_rate_bps"),
        ({"prospect_timezone": "Mars/Olympus"}, "prospect_timezone"),
        ({"available_within_days": 0}, "available_within_days"),
        ({"available_within_days": "soon"}, "available_within_days"),  # not a number: the query schema's 422
        ({"max_rate_bps": "15%"}, "max_rate_bps"),
        ({"min_rating": "high"}, "min_rating"),
        ({"min_rating": 6}, "min_rating"),
        ({"limit": 500}, "limit"),
        ({"cursor": "forged"}, "cursor"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(api, market, params: dict[str, object], field: str) -> None:
    response = api(**params)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.get_json()["errors"]}


def test_closers_cannot_search_other_closers(closer_client: FlaskClient, closer: User) -> None:
    assert closer_client.get("/closers").status_code == 403


def test_the_search_page_shows_ranked_results_with_reasons(business_client: FlaskClient, market) -> None:
    with clock.frozen_at(NOW):
        html = business_client.get(
            "/closers?language=fr&prospect_timezone=Europe/Paris&available_within_days=7"
        ).get_data(as_text=True)
    assert html.index("Claire") < html.index("Jake")
    assert "speaks French natively" in html and "Propose an engagement" in html
    assert "Nobody" not in html and "Priya" not in html


def test_the_search_page_shows_filter_errors_and_no_results(business_client: FlaskClient, market) -> None:
    response = business_client.get("/closers?max_rate=25&prospect_timezone=Nowhere")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give a rate from 10 to 20" in html and "Unknown time zone" in html
    assert "Claire" not in html


def test_unreadable_numbers_on_the_search_page_are_shown_with_every_other_filter_error(
    business_client: FlaskClient, market
) -> None:
    response = business_client.get("/closers?max_rate=inf&available_within_days=soon&min_rating=high&language=zz")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give a rate from 10 to 20" in html and "Give a rating from 1 to 5." in html
    assert "Give a whole number from 1 to 365." in html and "Unknown language" in html
    assert "Claire" not in html


def test_the_same_search_gives_the_same_order_in_html_and_api(api, business_client, market) -> None:
    with clock.frozen_at(NOW):
        html = business_client.get("/closers?prospect_timezone=America/New_York").get_data(as_text=True)
    api_order = names(api(prospect_timezone="America/New_York"))
    positions = [
        html.index(f'data-closer-id="{db.session.scalar(select(User.id).where(User.name == n))}"') for n in api_order
    ]
    assert positions == sorted(positions)
