"""API v1 closers: the profile (PUT /closers/me/profile), the public card, availability and slots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.closers.models import (
    AvailabilitySettings,
    AvailabilitySummary,
    CloserProfile,
    DateOverrideRow,
    TimeOffRow,
    WeeklyRule,
)
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.test_api_accounts import bearer

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday; Europe/Paris springs forward on Sunday 29 March

PROFILE = {
    "headline": "SaaS closer",
    "bio": "B2B, mid-market.",
    "languages": ["en", {"code": "fr", "level": "native"}],
    "industries": ["saas", "b2b_services"],
    "timezone": "Europe/Paris",
    "min_rate_bps": 1500,
    "phone": "+33 6 12 34 56 78",
    "meeting_url": "https://meet.example.com/claire",
    "years_experience": 7,
    "meeting_mode": "own_url",
}

AVAILABILITY = {
    "timezone": "Europe/Paris",
    "slot_minutes": 60,
    "buffer_minutes": 15,
    "min_notice_minutes": 120,
    "horizon_days": 60,
    "max_per_day": 4,
    "weekly": [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "14:00", "end": "17:00"},
        {"weekday": 5, "start": "09:00", "end": "10:00"},
        {"weekday": 6, "start": "09:00", "end": "10:00"},
    ],
    "overrides": [
        {"date": "2026-12-24", "intervals": []},
        {"date": "2026-12-26", "intervals": [{"start": "10:00", "end": "12:00"}]},
    ],
}


@pytest.fixture
def closer_headers(closer: User) -> dict[str, str]:
    return bearer(closer)


@pytest.fixture
def business_headers(business_user: User) -> dict[str, str]:
    return bearer(business_user)


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.get_json()["errors"]}


def profile_rows(user: User) -> tuple[Any, ...]:
    db.session.expire_all()
    p = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == user.id))
    return (
        p.headline,
        p.bio,
        p.min_rate_bps,
        p.phone_e164,
        p.meeting_url,
        p.meeting_mode,
        p.years_experience,
        p.updated_at,
        sorted((r.code, r.level.value) for r in p.languages),
        sorted(r.industry for r in p.industries),
        db.session.get(User, user.id).timezone,
    )


def availability_rows(user: User) -> tuple[Any, ...]:
    db.session.expire_all()
    s = db.session.get(AvailabilitySettings, user.id)
    settings = (
        None if s is None else (s.slot_minutes, s.buffer_minutes, s.min_notice_minutes, s.horizon_days, s.max_per_day)
    )
    return (
        settings,
        sorted((w.weekday, w.start_minute, w.end_minute) for w in db.session.scalars(select(WeeklyRule))),
        sorted(
            (o.day, tuple((i.start_minute, i.end_minute) for i in o.intervals))
            for o in db.session.scalars(select(DateOverrideRow))
        ),
        sorted((t.starts_at, t.ends_at, t.reason) for t in db.session.scalars(select(TimeOffRow))),
        db.session.get(User, user.id).timezone,
    )


# --- profile -------------------------------------------------------------------------------


def test_a_closer_replaces_their_profile_with_codes_and_levelled_languages(
    client: FlaskClient, closer: User, closer_headers: dict[str, str]
) -> None:
    with clock.frozen_at(NOW):
        response = client.put("/api/v1/closers/me/profile", json=PROFILE, headers=closer_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["languages"] == [
        {"code": "en", "name": "English", "level": "fluent"},
        {"code": "fr", "name": "French", "level": "native"},
    ]
    assert body["phone"] == "+33612345678" and body["meeting_url"] == "https://meet.example.com/claire"
    assert body["min_rate_bps"] == 1500 and body["industries"] == ["b2b_services", "saas"]
    assert body["updated_at"] == "2026-03-20T12:00:00Z" and body["local_time"] == "2026-03-20T13:00:00+01:00"
    rows = profile_rows(closer)
    assert rows[:7] == (
        "SaaS closer",
        "B2B, mid-market.",
        1500,
        "+33612345678",
        "https://meet.example.com/claire",
        "own_url",
        7,
    )
    assert rows[8] == [("en", "fluent"), ("fr", "native")]
    assert rows[9] == ["b2b_services", "saas"]


def test_a_closer_shows_a_photo_to_prospects(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], business_headers: dict[str, str]
) -> None:
    body = {**PROFILE, "photo_url": "https://cdn.example.com/claire.jpg"}
    saved = client.put("/api/v1/closers/me/profile", json=body, headers=closer_headers)
    assert saved.status_code == 200 and saved.get_json()["photo_url"] == "https://cdn.example.com/claire.jpg"
    cleared = client.put("/api/v1/closers/me/profile", json=PROFILE, headers=closer_headers)
    assert cleared.get_json()["photo_url"] is None  # PUT replaces: an omitted photo is cleared


def test_get_my_profile_returns_the_private_fields(client: FlaskClient, closer_headers: dict[str, str]) -> None:
    client.put("/api/v1/closers/me/profile", json=PROFILE, headers=closer_headers)
    body = client.get("/api/v1/closers/me/profile", headers=closer_headers).get_json()
    assert body["phone"] == "+33612345678" and body["headline"] == "SaaS closer"


def test_the_profile_zone_becomes_the_account_zone(
    client: FlaskClient, closer: User, closer_headers: dict[str, str]
) -> None:
    body = {**PROFILE, "timezone": "Asia/Kolkata", "phone": "+91 98765 43210"}
    assert client.put("/api/v1/closers/me/profile", json=body, headers=closer_headers).status_code == 200
    assert profile_rows(closer)[-1] == "Asia/Kolkata"
    assert client.get("/api/v1/me", headers=closer_headers).get_json()["timezone"] == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_rate_bps": 999}, "min_rate_bps"),
        ({"min_rate_bps": 2001}, "min_rate_bps"),
        ({"min_rate_bps": "1500"}, "min_rate_bps"),
        ({"min_rate_bps": 1500.0}, "min_rate_bps"),
        ({"languages": ["en", "zz"]}, "languages"),
        ({"languages": [{"code": "zz", "level": "native"}]}, "languages"),
        ({"languages": ["en", "EN"]}, "languages"),
        ({"languages": "en"}, "languages"),  # not a list: the schema refuses it (the service takes a tuple)
        ({"languages": [5]}, "languages"),
        ({"industries": "saas"}, "industries"),
        ({"phone": 33612345678}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1 555"}, "phone"),
        ({"meeting_url": "http://meet.example.com/claire"}, "meeting_url"),
        ({"meeting_url": "javascript:alert(1)"}, "meeting_url"),
        ({"meeting_url": None}, "meeting_url"),  # own_url needs a link
        ({"industries": ["saas", "crypto"]}, "industries"),
        ({"headline": "x" * 141}, "headline"),
        ({"years_experience": -1}, "years_experience"),
        ({"meeting_mode": "carrier_pigeon"}, "meeting_mode"),
        ({"nickname": "Clo"}, "nickname"),
        ({"photo_url": "http://cdn.example.com/claire.jpg"}, "photo_url"),
        ({"photo_url": "javascript:alert(1)"}, "photo_url"),
    ],
)
def test_a_bad_profile_field_is_a_422_naming_it_and_changes_nothing(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], change: dict[str, Any], field: str
) -> None:
    assert client.put("/api/v1/closers/me/profile", json=PROFILE, headers=closer_headers).status_code == 200
    before = profile_rows(closer)
    response = client.put(
        "/api/v1/closers/me/profile", json={**PROFILE, "headline": "Changed", **change}, headers=closer_headers
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert any(f == field or f.startswith(field + ".") for f in fields(response)), response.get_json()
    assert profile_rows(closer) == before


def test_a_profile_without_its_required_fields_is_a_422(client: FlaskClient, closer_headers: dict[str, str]) -> None:
    response = client.put("/api/v1/closers/me/profile", json={"headline": "x"}, headers=closer_headers)
    assert response.status_code == 422 and {"timezone", "min_rate_bps"} <= fields(response)


def test_a_business_cannot_put_closer_endpoints(
    client: FlaskClient, closer: User, business_headers: dict[str, str]
) -> None:
    before_profile, before_availability = profile_rows(closer), availability_rows(closer)
    assert client.put("/api/v1/closers/me/profile", json=PROFILE, headers=business_headers).status_code == 403
    assert client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=business_headers).status_code == 403
    assert client.get("/api/v1/closers/me/availability", headers=business_headers).status_code == 403
    assert profile_rows(closer) == before_profile and availability_rows(closer) == before_availability
    assert db.session.scalar(select(func.count(CloserProfile.id))) == 1


def test_closer_writes_need_a_token(client: FlaskClient) -> None:
    assert client.put("/api/v1/closers/me/profile", json=PROFILE).status_code == 401
    assert client.put("/api/v1/closers/me/availability", json=AVAILABILITY).status_code == 401


def test_another_closer_can_only_write_their_own_availability(
    client: FlaskClient, closer: User, make_user: UserFactory, closer_headers: dict[str, str]
) -> None:
    other = make_user("closer", email="other@example.com", timezone="America/New_York")
    client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
    mine = availability_rows(closer)
    body = {
        **AVAILABILITY,
        "timezone": "America/New_York",
        "weekly": [{"weekday": 2, "start": "08:00", "end": "09:00"}],
    }
    assert client.put("/api/v1/closers/me/availability", json=body, headers=bearer(other)).status_code == 200
    db.session.expire_all()
    assert db.session.get(AvailabilitySettings, closer.id).weekly[0].weekday == 0  # mine untouched
    assert [(w.weekday, w.start_minute) for w in db.session.get(AvailabilitySettings, other.id).weekly] == [(2, 480)]
    assert availability_rows(closer)[0] == mine[0] and db.session.get(User, closer.id).timezone == "Europe/Paris"


# --- the public card -----------------------------------------------------------------------


def test_the_public_card_has_the_documented_shape(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], business_headers: dict[str, str]
) -> None:
    client.put("/api/v1/closers/me/profile", json=PROFILE, headers=closer_headers)
    with clock.frozen_at(NOW):
        body = client.get(f"/api/v1/closers/{closer.id}", headers=business_headers).get_json()
    assert {"id", "name", "headline", "languages", "industries", "timezone", "min_rate_bps", "rating", "stats"} <= set(
        body
    )
    assert {"next_available_at", "score"} <= set(body)
    assert body["id"] == closer.id and body["name"] == "Claire Closer" and body["timezone"] == "Europe/Paris"
    assert body["rating"] is None and body["score"] is None and body["next_available_at"] is None
    assert body["stats"] == {"appointments": 0, "show_rate": None, "close_rate": None, "closer_no_shows": 0}
    assert "phone" not in body and "meeting_url" not in body


def test_the_card_gives_the_next_free_slot_once_availability_is_set(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], business_headers: dict[str, str]
) -> None:
    with clock.frozen_at(NOW):
        client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
        body = client.get(f"/api/v1/closers/{closer.id}", headers=business_headers).get_json()
    assert body["next_available_at"] == "2026-03-21T08:00:00Z"  # Saturday 09:00 in Paris (UTC+1)


def test_an_unknown_closer_or_a_business_id_is_a_404(
    client: FlaskClient, business_user: User, business_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/closers/424242", headers=business_headers).status_code == 404
    assert client.get(f"/api/v1/closers/{business_user.id}", headers=business_headers).status_code == 404
    assert client.get(f"/api/v1/closers/{business_user.id}/slots", headers=business_headers).status_code == 404


# --- availability --------------------------------------------------------------------------


def test_a_closer_replaces_their_availability_and_reads_it_back(
    client: FlaskClient, closer: User, closer_headers: dict[str, str]
) -> None:
    with clock.frozen_at(NOW):
        response = client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["weekly"] == AVAILABILITY["weekly"] and body["overrides"] == AVAILABILITY["overrides"]
    assert body["time_off"] == [] and body["max_per_day"] == 4
    assert availability_rows(closer)[0] == (60, 15, 120, 60, 4)
    assert availability_rows(closer)[1] == [(0, 540, 720), (0, 840, 1020), (5, 540, 600), (6, 540, 600)]
    assert client.get("/api/v1/closers/me/availability", headers=closer_headers).get_json() == body
    summary = db.session.get(AvailabilitySummary, closer.id)
    assert summary is not None and summary.refreshed_at == NOW  # refreshed in the same transaction


def test_putting_availability_again_replaces_every_interval(
    client: FlaskClient, closer: User, closer_headers: dict[str, str]
) -> None:
    client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
    smaller = {
        **AVAILABILITY,
        "weekly": [{"weekday": 1, "start": "10:00", "end": "24:00"}],
        "overrides": [AVAILABILITY["overrides"][1]],
    }
    response = client.put("/api/v1/closers/me/availability", json=smaller, headers=closer_headers)
    assert response.status_code == 200
    assert response.get_json()["weekly"] == [{"weekday": 1, "start": "10:00", "end": "24:00"}]
    rows = availability_rows(closer)
    assert rows[1] == [(1, 600, 1440)]
    assert [day.isoformat() for day, _ in rows[2]] == ["2026-12-26"]


def test_time_off_is_kept_when_omitted_and_replaced_when_given(
    client: FlaskClient, closer: User, closer_headers: dict[str, str]
) -> None:
    off = [{"start": "2026-08-01T00:00:00+02:00", "end": "2026-08-16T00:00:00+02:00", "reason": "Holidays"}]
    client.put("/api/v1/closers/me/availability", json={**AVAILABILITY, "time_off": off}, headers=closer_headers)
    assert availability_rows(closer)[3] == [
        (datetime(2026, 7, 31, 22, tzinfo=UTC), datetime(2026, 8, 15, 22, tzinfo=UTC), "Holidays")
    ]
    client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
    assert len(availability_rows(closer)[3]) == 1
    client.put("/api/v1/closers/me/availability", json={**AVAILABILITY, "time_off": []}, headers=closer_headers)
    assert availability_rows(closer)[3] == []


WEEK = AVAILABILITY["weekly"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekly": [*WEEK, {"weekday": 0, "start": "11:00", "end": "13:00"}]}, "weekly.4.start"),
        ({"weekly": [{"weekday": 2, "start": "12:00", "end": "09:00"}]}, "weekly.0.end"),
        ({"weekly": [{"weekday": 2, "start": "9am", "end": "12:00"}]}, "weekly.0.start"),
        ({"weekly": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "weekly.0.weekday"),
        ({"slot_minutes": 10}, "slot_minutes"),
        ({"slot_minutes": 241}, "slot_minutes"),
        ({"slot_minutes": 120, "weekly": [{"weekday": 2, "start": "09:00", "end": "10:00"}]}, "weekly.0.end"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"buffer_minutes": -5}, "buffer_minutes"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        (
            {"overrides": [{"date": "2026-12-24", "intervals": []}, {"date": "2026-12-24", "intervals": []}]},
            "overrides.1.date",
        ),
        ({"overrides": [{"date": "2026-02-30", "intervals": []}]}, "overrides.0.date"),
        (
            {"overrides": [{"date": "2026-12-24", "intervals": [{"start": "15:00", "end": "14:00"}]}]},
            "overrides.0.intervals.0.end",
        ),
        ({"time_off": [{"start": "2026-08-02T00:00:00+02:00", "end": "2026-08-01T00:00:00+02:00"}]}, "time_off.0.end"),
        ({"time_off": [{"start": "2026-08-01T00:00:00", "end": "2026-08-02T00:00:00+02:00"}]}, "time_off.0.start"),
        ({"slot_minutes": "60"}, "slot_minutes"),
        ({"weekly": "Mon 9-12"}, "weekly"),
        ({"weekly": [{"weekday": "Monday", "start": "09:00", "end": "12:00"}]}, "weekly.0.weekday"),
        ({"overrides": [{"date": "2026-12-24", "intervals": "09:00-12:00"}]}, "overrides.0.intervals"),
        (
            {"time_off": [{"start": "2026-08-01T00:00:00Z", "end": "2026-08-02T00:00:00Z", "reason": 5}]},
            "time_off.0.reason",
        ),
        (
            {"time_off": [{"start": "2026-08-01T00:00:00Z", "end": "2026-08-02T00:00:00Z", "reason": "x" * 201}]},
            "time_off.0.reason",
        ),
        ({"time_off": [{"start": "2026-08-01T00:00:00Z", "end": "2026-08-02"}]}, "time_off.0.end"),
    ],
)
def test_bad_availability_is_a_422_naming_the_field_and_changes_nothing(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], change: dict[str, Any], field: str
) -> None:
    assert client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers).status_code == 200
    before = availability_rows(closer)
    summary_before = db.session.get(AvailabilitySummary, closer.id).refreshed_at
    with clock.frozen_at(NOW):
        response = client.put(
            "/api/v1/closers/me/availability", json={**AVAILABILITY, **change}, headers=closer_headers
        )
    assert response.status_code == 422
    assert field in fields(response), response.get_json()
    assert availability_rows(closer) == before
    db.session.expire_all()
    assert db.session.get(AvailabilitySummary, closer.id).refreshed_at == summary_before


def test_every_availability_problem_is_reported_at_once(client: FlaskClient, closer_headers: dict[str, str]) -> None:
    bad = {
        **AVAILABILITY,
        "slot_minutes": 10,
        "weekly": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "10:00", "end": "11:00"}],
        "overrides": [{"date": "2026-12-24", "intervals": []}, {"date": "2026-12-24", "intervals": []}],
    }
    response = client.put("/api/v1/closers/me/availability", json=bad, headers=closer_headers)
    assert response.status_code == 422
    assert {"slot_minutes", "weekly.1.start", "overrides.1.date"} <= fields(response)


# --- slots ---------------------------------------------------------------------------------


def test_slots_keep_the_closers_wall_clock_across_the_dst_change(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], business_headers: dict[str, str]
) -> None:
    with clock.frozen_at(NOW):
        client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
        response = client.get(
            f"/api/v1/closers/{closer.id}/slots?from=2026-03-28&to=2026-03-29&timezone=Europe/Paris",
            headers=business_headers,
        )
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/Paris" and body["slot_minutes"] == 60
    assert body["slots"] == [
        {
            "start": "2026-03-28T08:00:00Z",
            "end": "2026-03-28T09:00:00Z",
            "local_start": "2026-03-28T09:00:00+01:00",
            "closer_local_start": "2026-03-28T09:00:00+01:00",
        },
        {
            "start": "2026-03-29T07:00:00Z",  # one hour earlier in UTC: Paris is on summer time
            "end": "2026-03-29T08:00:00Z",
            "local_start": "2026-03-29T09:00:00+02:00",
            "closer_local_start": "2026-03-29T09:00:00+02:00",
        },
    ]


def test_slots_are_given_in_the_viewers_zone_and_dates(
    client: FlaskClient, closer: User, closer_headers: dict[str, str], business_headers: dict[str, str]
) -> None:
    with clock.frozen_at(NOW):
        client.put("/api/v1/closers/me/availability", json=AVAILABILITY, headers=closer_headers)
        body = client.get(
            f"/api/v1/closers/{closer.id}/slots?from=2026-03-23&to=2026-03-23&timezone=America/New_York",
            headers=business_headers,
        ).get_json()
    # Monday 23 March: New York is already on summer time (UTC-4), Paris not yet (UTC+1): 5 hours apart.
    assert [s["local_start"][11:16] for s in body["slots"]] == ["04:00", "05:00", "06:00", "09:00", "10:00", "11:00"]
    assert body["slots"][0]["closer_local_start"] == "2026-03-23T09:00:00+01:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-04-01&to=2026-06-05", "to"),
        ("from=2026-04-10&to=2026-04-01", "to"),
        ("from=2026-04-01&to=2026-04-02&timezone=Mars/Olympus", "timezone"),
        ("from=01/04/2026", "from"),
        ("since=2026-04-01", "since"),
    ],
)
def test_a_bad_slot_query_is_a_422(
    client: FlaskClient, closer: User, business_headers: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/closers/{closer.id}/slots?{query}", headers=business_headers)
    assert response.status_code == 422 and field in fields(response), response.get_json()


def test_a_62_day_range_is_allowed(client: FlaskClient, closer: User, business_headers: dict[str, str]) -> None:
    response = client.get(f"/api/v1/closers/{closer.id}/slots?from=2026-04-01&to=2026-06-01", headers=business_headers)
    assert response.status_code == 200 and response.get_json()["slots"] == []


def test_the_closer_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "put" in paths["/api/v1/closers/me/profile"] and "put" in paths["/api/v1/closers/me/availability"]
    assert "get" in paths["/api/v1/closers/{closer_id}"] and "get" in paths["/api/v1/closers/{closer_id}/slots"]
    params = {p["name"] for p in paths["/api/v1/closers/{closer_id}/slots"]["get"]["parameters"]}
    assert {"from", "to", "timezone"} <= params
