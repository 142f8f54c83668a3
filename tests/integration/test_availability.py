"""The availability page (works without JavaScript), its preview, and the search summary."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock, jobs
from closerhub.accounts.models import AccountStatus, User
from closerhub.closers import availability_service as availability
from closerhub.closers.models import AvailabilitySettings, AvailabilitySummary, DateOverrideRow, TimeOffRow, WeeklyRule
from closerhub.core import matching
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.test_api_accounts import bearer

NOW = datetime(2026, 1, 4, 12, 0, tzinfo=UTC)  # Sunday 4 January 2026, 13:00 in Paris

SETTINGS = {
    "timezone": "Europe/Paris",
    "slot_minutes": "60",
    "buffer_minutes": "0",
    "min_notice_minutes": "60",
    "horizon_days": "60",
    "max_per_day": "",
}


def weekly_form(rows: dict[int, list[tuple[str, str]]], **extra: str) -> dict[str, str]:
    """Form data of the weekly table: ``{weekday: [(start, end), ...]}`` (other weekdays one blank row)."""
    data = {**SETTINGS, **extra}
    for weekday in range(7):
        day = rows.get(weekday, [("", "")])
        data[f"w{weekday}_rows"] = str(len(day))
        for i, (start, end) in enumerate(day):
            data[f"w{weekday}_{i}_start"], data[f"w{weekday}_{i}_end"] = start, end
    return data


def rows(user: User) -> tuple[Any, ...]:
    db.session.expire_all()
    s = db.session.get(AvailabilitySettings, user.id)
    return (
        None if s is None else (s.slot_minutes, s.buffer_minutes, s.min_notice_minutes, s.horizon_days, s.max_per_day),
        [
            (w.weekday, w.start_minute, w.end_minute)
            for w in db.session.scalars(select(WeeklyRule).order_by(WeeklyRule.id))
        ],
        [
            (o.day, [(i.start_minute, i.end_minute) for i in o.intervals])
            for o in db.session.scalars(select(DateOverrideRow).order_by(DateOverrideRow.day))
        ],
        [(t.starts_at, t.ends_at, t.reason) for t in db.session.scalars(select(TimeOffRow))],
        db.session.get(User, user.id).timezone,
    )


def page_slots(html: str) -> list[tuple[str, str]]:
    """The preview's slots as ``(start, end)`` UTC strings, in page order."""
    return re.findall(r'data-slot-start="([^"]+)" data-slot-end="([^"]+)"', html)


@pytest.fixture
def monday_morning(closer_client: FlaskClient) -> FlaskClient:
    """The closer works Mondays 09:00–12:00 and Thursdays 14:00–16:00, Paris time."""
    with clock.frozen_at(NOW):
        response = closer_client.post(
            "/closers/me/availability", data=weekly_form({0: [("09:00", "12:00")], 3: [("14:00", "16:00")]})
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    return closer_client


# --- the editor ----------------------------------------------------------------------------


def test_a_new_closer_sees_an_empty_week_and_no_slots(closer_client: FlaskClient) -> None:
    html = closer_client.get("/closers/me/availability").get_data(as_text=True)
    assert 'name="w0_0_start"' in html and 'name="w6_0_end"' in html
    assert "No free slots in the next two weeks" in html and 'name="csrf_token"' in html


def test_saving_the_weekly_table_stores_the_intervals(monday_morning: FlaskClient, closer: User) -> None:
    settings, weekly, overrides, time_off, zone = rows(closer)
    assert settings == (60, 0, 60, 60, None)
    assert sorted(weekly) == [(0, 540, 720), (3, 840, 960)]
    assert overrides == [] and time_off == [] and zone == "Europe/Paris"


def test_several_intervals_on_one_day_are_saved(closer_client: FlaskClient, closer: User) -> None:
    data = weekly_form({1: [("09:00", "12:00"), ("13:30", "18:00"), ("", "")]})
    assert closer_client.post("/closers/me/availability", data=data).status_code == 302
    assert sorted(rows(closer)[1]) == [(1, 540, 720), (1, 810, 1080)]


def test_the_add_interval_button_adds_a_row_and_saves_nothing(closer_client: FlaskClient, closer: User) -> None:
    data = weekly_form({2: [("09:00", "12:00")]}, add_row="2")
    response = closer_client.post("/closers/me/availability", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="w2_1_start"' in html and 'value="09:00"' in html  # typed values are kept
    assert rows(closer)[0] is None


def test_an_emptied_row_removes_the_interval(monday_morning: FlaskClient, closer: User) -> None:
    assert (
        monday_morning.post("/closers/me/availability", data=weekly_form({3: [("14:00", "16:00")]})).status_code == 302
    )
    assert rows(closer)[1] == [(3, 840, 960)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (weekly_form({0: [("09:00", "12:00"), ("11:00", "13:00")]}), "Overlaps 09:00–12:00 on Monday"),
        (weekly_form({0: [("12:00", "09:00")]}), "End must be after start"),
        (weekly_form({0: [("9h", "12:00")]}), "Use HH:MM"),
        (weekly_form({0: [("09:00", "")]}), "Use HH:MM"),
        (weekly_form({0: [("09:00", "12:00")]}, slot_minutes="10"), "Slot length must be between 15 and 240"),
        (weekly_form({0: [("09:00", "12:00")]}, horizon_days="400"), "Horizon must be between 1 and 365"),
        (weekly_form({0: [("09:00", "12:00")]}, timezone="Mars/Olympus"), "Unknown time zone"),
        (weekly_form({0: [("09:00", "09:30")]}), "Shorter than one 60-minute slot"),
    ],
)
def test_bad_weekly_hours_show_the_table_again_with_the_error_and_change_nothing(
    monday_morning: FlaskClient, closer: User, data: dict[str, str], message: str
) -> None:
    before = rows(closer)
    response = monday_morning.post("/closers/me/availability", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html or 'class="alert alert-error"' in html or 'class="error"' in html
    assert rows(closer) == before


def test_a_bad_row_is_flagged_next_to_its_inputs_and_typed_values_are_kept(
    monday_morning: FlaskClient, closer: User
) -> None:
    data = weekly_form({0: [("09:00", "12:00")], 4: [("10:00", "11:00"), ("10:30", "12:00")]})
    html = monday_morning.post("/closers/me/availability", data=data).get_data(as_text=True)
    row = html[html.index('name="w4_1_start"') - 200 : html.index('name="w4_1_end"') + 400]
    assert "Overlaps 10:00–11:00 on Friday" in row and 'value="10:30"' in row


def test_weekly_hours_need_the_csrf_token(monday_morning: FlaskClient, closer: User, csrf_enabled: None) -> None:
    before = rows(closer)
    assert monday_morning.post("/closers/me/availability", data=weekly_form({})).status_code == 400
    assert rows(closer) == before


def test_a_business_cannot_open_or_post_the_availability_page(business_client: FlaskClient) -> None:
    assert business_client.get("/closers/me/availability").status_code == 403
    assert business_client.post("/closers/me/availability", data=weekly_form({})).status_code == 403
    assert business_client.post("/closers/me/availability/overrides", data={"day": "2026-01-05"}).status_code == 403


# --- overrides and time off ------------------------------------------------------------------


def test_a_day_off_removes_that_dates_slots(monday_morning: FlaskClient, closer: User) -> None:
    with clock.frozen_at(NOW):
        response = monday_morning.post("/closers/me/availability/overrides", data={"day": "2026-01-05", "kind": "off"})
        assert response.status_code == 302
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
    assert rows(closer)[2] == [(date(2026, 1, 5), [])]
    starts = [s for s, _ in page_slots(html)]
    assert "2026-01-05T08:00:00Z" not in starts and "2026-01-12T08:00:00Z" in starts
    assert rows(closer)[1]  # the weekly hours are still there


def test_an_override_with_other_hours_replaces_the_weekly_hours_of_that_date(
    monday_morning: FlaskClient, closer: User
) -> None:
    data = {"day": "2026-01-05", "kind": "hours", "start": "15:00", "end": "17:00", "start2": "", "end2": ""}
    with clock.frozen_at(NOW):
        assert monday_morning.post("/closers/me/availability/overrides", data=data).status_code == 302
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
    assert rows(closer)[2] == [(date(2026, 1, 5), [(900, 1020)])]
    monday = [s for s, _ in page_slots(html) if s.startswith("2026-01-05")]
    assert monday == ["2026-01-05T14:00:00Z", "2026-01-05T15:00:00Z"]


def test_a_longer_slot_that_a_saved_date_cannot_hold_names_that_date_and_changes_nothing(
    monday_morning: FlaskClient, closer: User
) -> None:
    data = {"day": "2026-01-06", "kind": "hours", "start": "15:00", "end": "16:00", "start2": "", "end2": ""}
    assert monday_morning.post("/closers/me/availability/overrides", data=data).status_code == 302
    before = rows(closer)
    form = weekly_form({0: [("09:00", "12:00")], 3: [("14:00", "16:00")]}, slot_minutes="120")
    response = monday_morning.post("/closers/me/availability", data=form)
    assert response.status_code == 422
    assert "2026-01-06: Shorter than one 120-minute slot." in response.get_data(as_text=True)
    assert rows(closer) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2026-01-05", "kind": "off"}, "already overridden"),
        ({"day": "05/01/2026", "kind": "off"}, "YYYY-MM-DD"),
        ({"day": "2026-01-06", "kind": "hours", "start": "17:00", "end": "15:00"}, "End must be after start"),
        ({"day": "2026-01-06", "kind": "hours", "start": "", "end": ""}, "Give the hours of that day"),
        (
            {
                "day": "2026-01-06",
                "kind": "hours",
                "start": "09:00",
                "end": "12:00",
                "start2": "11:00",
                "end2": "13:00",
            },
            "Overlaps 09:00–12:00",
        ),
    ],
)
def test_a_bad_override_shows_the_error_and_changes_nothing(
    monday_morning: FlaskClient, closer: User, data: dict[str, str], message: str
) -> None:
    monday_morning.post("/closers/me/availability/overrides", data={"day": "2026-01-05", "kind": "off"})
    before = rows(closer)
    response = monday_morning.post("/closers/me/availability/overrides", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows(closer) == before


def test_an_override_is_removed_with_its_delete_button(monday_morning: FlaskClient, closer: User) -> None:
    monday_morning.post("/closers/me/availability/overrides", data={"day": "2026-01-05", "kind": "off"})
    html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
    assert 'action="/closers/me/availability/overrides/2026-01-05/delete"' in html
    assert monday_morning.post("/closers/me/availability/overrides/2026-01-05/delete").status_code == 302
    assert rows(closer)[2] == [] and rows(closer)[1]
    assert monday_morning.post("/closers/me/availability/overrides/2026-01-05/delete").status_code == 404


def test_time_off_covers_whole_local_days_and_hides_their_slots(monday_morning: FlaskClient, closer: User) -> None:
    data = {"first_day": "2026-01-12", "last_day": "2026-01-15", "reason": "Ski"}
    with clock.frozen_at(NOW):
        assert monday_morning.post("/closers/me/availability/time-off", data=data).status_code == 302
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
    assert rows(closer)[3] == [(datetime(2026, 1, 11, 23, tzinfo=UTC), datetime(2026, 1, 15, 23, tzinfo=UTC), "Ski")]
    starts = [s for s, _ in page_slots(html)]
    assert not any(s.startswith(("2026-01-12", "2026-01-15")) for s in starts)
    assert "2026-01-05T08:00:00Z" in starts and "Ski" in html


def test_time_off_ending_before_it_starts_is_refused(monday_morning: FlaskClient, closer: User) -> None:
    before = rows(closer)
    data = {"first_day": "2026-01-15", "last_day": "2026-01-12", "reason": ""}
    response = monday_morning.post("/closers/me/availability/time-off", data=data)
    assert response.status_code == 422 and "before the first" in response.get_data(as_text=True)
    assert rows(closer) == before


def test_time_off_is_removed_with_its_delete_button(monday_morning: FlaskClient, closer: User) -> None:
    monday_morning.post("/closers/me/availability/time-off", data={"first_day": "2026-02-01", "last_day": "2026-02-02"})
    time_off_id = db.session.scalar(select(TimeOffRow.id))
    assert monday_morning.post(f"/closers/me/availability/time-off/{time_off_id}/delete").status_code == 302
    assert rows(closer)[3] == []


def test_saving_the_weekly_table_keeps_overrides_and_time_off(monday_morning: FlaskClient, closer: User) -> None:
    monday_morning.post("/closers/me/availability/overrides", data={"day": "2026-01-05", "kind": "off"})
    monday_morning.post("/closers/me/availability/time-off", data={"first_day": "2026-02-01", "last_day": "2026-02-02"})
    assert (
        monday_morning.post("/closers/me/availability", data=weekly_form({2: [("08:00", "10:00")]})).status_code == 302
    )
    _settings, weekly, overrides, time_off, _zone = rows(closer)
    assert weekly == [(2, 480, 600)] and len(overrides) == 1 and len(time_off) == 1


# --- the preview and the API answer the same -------------------------------------------------


def test_the_preview_shows_each_slot_in_the_closers_zone_and_in_new_york(monday_morning: FlaskClient) -> None:
    with clock.frozen_at(NOW):
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
    assert "A prospect in New York sees" in html
    assert "Monday 5 January" in html
    assert "09:00–10:00" in html and "Mon 5 Jan 03:00" in html and "(UTC-05:00)" in html
    assert page_slots(html)[0] == ("2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z")
    last = page_slots(html)[-1][0]
    assert last == "2026-01-15T14:00:00Z"  # Thursday 15:00 Paris; the preview ends on Saturday 17 January


def test_the_viewer_zone_can_be_chosen_and_an_unknown_one_falls_back_to_new_york(monday_morning: FlaskClient) -> None:
    with clock.frozen_at(NOW):
        tokyo = monday_morning.get("/closers/me/availability?viewer_zone=Asia/Tokyo").get_data(as_text=True)
        unknown = monday_morning.get("/closers/me/availability?viewer_zone=Mars/Olympus").get_data(as_text=True)
    assert "A prospect in Tokyo sees" in tokyo and "Mon 5 Jan 17:00" in tokyo
    assert "Unknown time zone Mars/Olympus" in unknown and "A prospect in New York sees" in unknown


def test_the_api_returns_the_same_slots_as_the_page(
    monday_morning: FlaskClient, closer: User, client: FlaskClient, business_user: User
) -> None:
    with clock.frozen_at(NOW):
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
        first, last = availability.preview_dates(closer, NOW)
        response = client.get(
            f"/api/v1/closers/{closer.id}/slots?from={first}&to={last}&timezone=Europe/Paris",
            headers=bearer(business_user),
        )
    api = [(s["start"], s["end"]) for s in response.get_json()["slots"]]
    assert len(api) == 10  # two Mondays of 3 slots and two Thursdays of 2
    assert api == page_slots(html)


def test_the_api_default_range_is_the_two_weeks_the_page_previews(
    monday_morning: FlaskClient, closer: User, client: FlaskClient, closer_headers_for: Any
) -> None:
    with clock.frozen_at(NOW):
        html = monday_morning.get("/closers/me/availability").get_data(as_text=True)
        body = client.get(f"/api/v1/closers/{closer.id}/slots", headers=closer_headers_for(closer)).get_json()
    assert [(s["start"], s["end"]) for s in body["slots"]] == page_slots(html)


@pytest.fixture
def closer_headers_for() -> Any:
    return bearer


# --- the summary for search ------------------------------------------------------------------


def test_saving_availability_refreshes_the_summary_in_the_same_request(
    monday_morning: FlaskClient, closer: User
) -> None:
    summary = db.session.get(AvailabilitySummary, closer.id)
    assert summary is not None and summary.refreshed_at == NOW
    # From Sunday 4 Jan 12:00 UTC: Mon 5 (3) + Thu 8 (2) in 7 days; Mon 12 + Thu 15 more in 14 days.
    assert (summary.free_slots_7d, summary.free_slots_14d) == (5, 10)
    assert summary.next_available_at == datetime(2026, 1, 5, 8, tzinfo=UTC)
    # Reference week: Monday 5 Jan 00:00 UTC. Paris is UTC+1: Monday 09–12 = hours 8–10, Thursday 14–16 = 72+13, 72+14.
    expected = [0] * 168
    for hour in (8, 9, 10, 85, 86):
        expected[hour] = 60
    assert summary.weekly_minutes == expected
    assert matching.mask_from_hex(summary.weekly_hours_mask) == sum(1 << h for h in (8, 9, 10, 85, 86))


def test_a_half_hour_zone_splits_the_weekly_minutes_across_utc_hours(closer_client: FlaskClient, closer: User) -> None:
    data = weekly_form({0: [("09:00", "10:00")]}, timezone="Asia/Kolkata")  # UTC+05:30 → 03:30–04:30 UTC
    with clock.frozen_at(NOW):
        assert closer_client.post("/closers/me/availability", data=data).status_code == 302
    summary = db.session.get(AvailabilitySummary, closer.id)
    assert summary.weekly_minutes[3] == 30 and summary.weekly_minutes[4] == 30 and sum(summary.weekly_minutes) == 60


def test_time_off_and_overrides_lower_the_free_slot_counts_but_not_the_usual_week(
    monday_morning: FlaskClient, closer: User
) -> None:
    with clock.frozen_at(NOW):
        monday_morning.post("/closers/me/availability/overrides", data={"day": "2026-01-05", "kind": "off"})
    summary = db.session.get(AvailabilitySummary, closer.id)
    db.session.refresh(summary)
    assert (summary.free_slots_7d, summary.free_slots_14d) == (2, 7)
    assert summary.next_available_at == datetime(2026, 1, 8, 13, tzinfo=UTC)
    assert sum(summary.weekly_minutes) == 300


def test_a_closer_without_hours_has_an_empty_summary(app: Flask, closer: User) -> None:
    summary = availability.refresh_summary(db.session, closer.id, NOW)
    db.session.commit()
    assert (summary.free_slots_7d, summary.free_slots_14d, summary.next_available_at) == (0, 0, None)
    assert summary.weekly_minutes == [0] * 168 and summary.weekly_hours_mask == "0" * 42


def test_the_worker_job_refreshes_every_active_closer_and_running_it_twice_changes_nothing(
    app: Flask, monday_morning: FlaskClient, closer: User, make_user: UserFactory
) -> None:
    other = make_user("closer", email="newbie@example.com")
    suspended = make_user("closer", email="gone@example.com")
    suspended.status = AccountStatus.SUSPENDED
    db.session.commit()
    later = NOW + timedelta(days=1)  # Monday 5 Jan 12:00 UTC: that morning is over
    with clock.frozen_at(later):
        assert jobs.refresh_availability_summaries(app) == 2
        db.session.expire_all()
        first = [
            (s.closer_id, s.next_available_at, s.free_slots_7d, s.free_slots_14d, s.weekly_minutes, s.refreshed_at)
            for s in db.session.scalars(select(AvailabilitySummary).order_by(AvailabilitySummary.closer_id))
        ]
        assert jobs.refresh_availability_summaries(app) == 2
    db.session.expire_all()
    again = [
        (s.closer_id, s.next_available_at, s.free_slots_7d, s.free_slots_14d, s.weekly_minutes, s.refreshed_at)
        for s in db.session.scalars(select(AvailabilitySummary).order_by(AvailabilitySummary.closer_id))
    ]
    assert first == again
    by_id = {row[0]: row for row in again}
    assert set(by_id) == {closer.id, other.id}  # the suspended closer is skipped
    # That Monday morning is over: Thu 8 (2) + Mon 12 (3) in 7 days, + Thu 15 (2) + Mon 19 (3) in 14.
    assert by_id[closer.id][1:4] == (datetime(2026, 1, 8, 13, tzinfo=UTC), 5, 10)
    assert by_id[closer.id][5] == later
    assert by_id[other.id][1:4] == (None, 0, 0)


def test_the_job_is_scheduled_every_15_minutes() -> None:
    entry = next(j for j in jobs.JOBS if j[0] == "refresh_availability_summaries")
    assert entry[2] == {"trigger": "interval", "minutes": 15}


def test_moving_zone_on_the_profile_keeps_local_hours_and_refreshes_the_summary(
    monday_morning: FlaskClient, closer: User
) -> None:
    profile = {"timezone": "America/New_York", "min_rate_percent": "15", "meeting_mode": "generated_room"}
    with clock.frozen_at(NOW):
        assert monday_morning.post("/closers/me/profile", data=profile).status_code == 302
    db.session.expire_all()
    summary = db.session.get(AvailabilitySummary, closer.id)
    # Still Monday 09:00–12:00 and Thursday 14:00–16:00, now in New York (UTC-5).
    assert [h for h, minutes in enumerate(summary.weekly_minutes) if minutes] == [14, 15, 16, 91, 92]
    assert summary.next_available_at == datetime(2026, 1, 5, 14, tzinfo=UTC)
