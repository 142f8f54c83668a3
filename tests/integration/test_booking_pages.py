"""The booking pages over HTTP on the real database: the public booking flow, manage links, signed-in pages.

Clock and set-up come from ``booking_setup``: Monday 1 June 2026, 08:00 in Paris; the
closer works Mon–Fri 09:00–17:00 Paris time (UTC+2, New York is UTC-4), 60-minute slots,
4 hours' notice. Tuesday 09:00 Paris = 07:00 UTC = 03:00 in New York.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.businesses.models import Business
from closerhub.extensions import db
from closerhub.leads import service as leads
from closerhub.leads.models import Lead
from tests.conftest import UserFactory, _logged_in
from tests.integration.booking_setup import (
    TUESDAY_9,
    book,
    frozen,
    hours,
    lead_details,
    second_closer,
    setting,
    snapshot,
)
from tests.integration.test_engagements import make_offer

TUESDAY_10 = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
QUESTION = "What is your monthly revenue?"

__all__ = ["frozen", "second_closer", "setting"]  # fixtures


def key(setting: dict[str, Any]) -> str:
    return setting["offer"].booking_key


def prospect_form(**overrides: Any) -> dict[str, str]:
    data = {
        "start": "2026-06-02T07:00:00Z",
        "name": "Nora York",
        "email": "Nora@Example.com",
        "phone": "+1 212 555 0100",
        "timezone": "America/New_York",
        "language": "en",
        "channel": "video",
        "answer_0": "About 20k",
    }
    data.update(overrides)
    return data


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def token_of(appointment: Appointment) -> str:
    return service.manage_token(appointment)


# --- the public booking page ------------------------------------------------------------------


def test_the_booking_page_shows_a_month_calendar_and_the_chosen_days_times(client: FlaskClient, setting: dict) -> None:
    response = client.get(f"/book/{key(setting)}?tz=America/New_York&hours=all")
    body = text(response)
    assert response.status_code == 200
    assert "High-ticket coaching" in body and "Acme Coaching" in body
    assert "Times are shown in your time zone, New York." in body
    assert '<h2 id="month-title" aria-live="polite">June 2026</h2>' in body
    # Weeks start on Sunday for an en-US reader; the 1st of June 2026 is a Monday (second column).
    assert re.search(r"<tr>\s*<td></td><td><a class=\"day day-free day-chosen\" data-day=\"2026-06-01\"", body)
    # Without ``day``: the first day with free times is chosen, and marked for assistive technology.
    assert re.search(
        r'data-day="2026-06-01"\s+href="[^"]*day=2026-06-01[^"]*"\s+aria-label="Monday, June 1: 5 free times" '
        r'aria-current="date">1</a>',
        body,
    )
    # Monday: 4 hours' notice from 08:00 Paris → first slot at 12:00 Paris (06:00 in New York).
    assert 'data-slot-start="2026-06-01T10:00:00Z"' in body
    assert 'data-slot-start="2026-06-01T09:00:00Z"' not in body
    assert 'data-slot-start="2026-06-02T07:00:00Z"' not in body  # another day's times
    # Weekends have no free time: a plain number, not a link.
    assert re.search(
        r'<span class="day" data-day="2026-06-06" aria-label="Saturday, June 6: no free times">6</span>', body
    )
    assert "booking_tz.js" not in body  # the zone was given: no reload script
    # A day link: Tuesday 09:00 Paris is 03:00 in New York, under the prospect's local date.
    tuesday = text(client.get(f"/book/{key(setting)}?tz=America/New_York&hours=all&day=2026-06-02"))
    times = tuesday.split('data-testid="slots"')[1].split("</ul>")[0]
    assert re.search(
        r'class="btn btn-secondary slot slot-night"[^>]*\s+href="[^"]*"\s+title="[^"]*">3:00\u202fAM ', times
    )
    assert '<h2 id="day-title">Tuesday, June 2</h2>' in tuesday
    assert 'data-day="2026-06-01"' in tuesday and 'day-free day-chosen" data-day="2026-06-02"' in tuesday


def test_night_times_in_the_prospects_zone_are_offered_only_on_demand(client: FlaskClient, setting: dict) -> None:
    url = f"/book/{key(setting)}?tz=America/New_York&day=2026-06-02"
    everything = text(client.get(url + "&hours=all"))
    daytime = text(client.get(url))
    # Paris 09:00–17:00 is 03:00–11:00 in New York: 03:00–06:59 is night there (4 calls of 8 a day).
    assert everything.count("slot slot-night") == 4
    assert everything.count("data-slot-start=") == 8
    assert daytime.count("data-slot-start=") == 4 and "slot-night" not in daytime
    assert 'data-slot-start="2026-06-02T07:00:00Z"' not in daytime  # 03:00 in New York
    assert 'data-slot-start="2026-06-02T11:00:00Z"' in daytime  # 07:00 in New York
    hidden = daytime.split('data-testid="night-hidden"')[1].split("</p>")[0]
    # The month's night-time calls: Monday 1 June's one (06:00) and 4 on each of 21 more weekdays.
    assert "85 more free times this month are early in the morning or late at night" in hidden
    assert "outside 7:00\u202fAM–10:00\u202fPM" in hidden
    assert re.search(r'href="[^"]*hours=all[^"]*day=2026-06-02[^"]*">Show all times<', hidden)
    # The choice survives the calendar's links and leads back to the daytime view.
    assert re.search(r'data-day="2026-06-03"\s+href="[^"]*hours=all', everything)
    assert re.search(r'data-day="2026-06-03"\s+href="(?![^"]*hours=)', daytime)
    assert (
        'data-testid="night-shown"' in everything and "Show only times between 7:00\u202fAM–10:00\u202fPM" in everything
    )
    # In the business's own zone (Paris) every call is daytime: nothing is hidden.
    paris = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&day=2026-06-02"))
    assert paris.count("data-slot-start=") == 8 and "night-hidden" not in paris


def test_a_month_with_only_night_times_says_so_and_offers_them(client: FlaskClient, setting: dict) -> None:
    # Pacific/Gambier is UTC-9: 09:00–17:00 in Paris (UTC+2 in June) is 22:00–06:00 there.
    daytime = text(client.get(f"/book/{key(setting)}?tz=Pacific/Gambier"))
    everything = text(client.get(f"/book/{key(setting)}?tz=Pacific/Gambier&hours=all"))
    night = everything.count("slot slot-night")
    assert night > 0 and everything.count("data-slot-start=") == night
    assert "data-slot-start=" not in daytime and "day-free" not in daytime
    assert "No free times between 7:00\u202fAM–10:00\u202fPM in your time zone this month." in daytime
    assert re.search(r"\d+ more free times this month are early in the morning or late at night", daytime)


def test_the_confirm_step_warns_about_a_night_time_call(client: FlaskClient, setting: dict) -> None:
    night = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&tz=America/New_York"))
    assert 'data-testid="night-note"' in night and "early in the morning or late at night in America/New_York" in night
    note = night.split('data-testid="night-note"')[1].split("</div>")[0]
    assert re.search(r'href="/book/[^"?]+\?tz=America/New_York[^"]*#tz">Not your time zone\?', note)
    day = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T11:00:00Z&tz=America/New_York"))
    assert 'data-testid="night-note"' not in day


def test_without_a_zone_the_page_uses_the_business_zone_says_so_and_loads_the_detector(
    client: FlaskClient, setting: dict
) -> None:
    body = text(client.get(f"/book/{key(setting)}?day=2026-06-02"))
    assert "Times are shown in Paris, the time zone of Acme Coaching." in body
    assert "booking_tz.js" in body
    assert ">09:00<" in body.split('data-testid="slots"')[1].split("</ul>")[0]


def test_an_unknown_zone_is_reported_and_the_business_zone_is_used(client: FlaskClient, setting: dict) -> None:
    response = client.get(f"/book/{key(setting)}?tz=Mars/Olympus")
    assert response.status_code == 200
    assert "Unknown time zone “Mars/Olympus”; times are shown in Europe/Paris." in text(response)


def test_the_month_pager_stays_inside_the_horizon(client: FlaskClient, setting: dict) -> None:
    first = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris"))
    assert 'rel="prev"' not in first and re.search(r'rel="next" href="[^"]*day=2026-07-01', first)
    # The horizon is 30 days: asking far beyond it shows the last bookable month, with no "next".
    last = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&day=2027-01-01"))
    assert 'rel="next"' not in last and 'rel="prev"' in last
    # July: only its 1st is inside the horizon, and its free times end before the closer's hours.
    assert "July 2026" in last and "day-free" not in last and "No free times this month." in last
    # An older link's ``week`` still opens its day.
    assert '<h2 id="day-title">Wednesday, 3 June</h2>' in text(client.get(f"/book/{key(setting)}?week=2026-06-03"))
    # A day without free times says so and keeps the calendar.
    saturday = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&day=2026-06-06"))
    assert "No free times that day. Pick a marked day in the calendar." in saturday and "day-free" in saturday


def test_an_unknown_or_inactive_booking_key_is_a_404(client: FlaskClient, setting: dict, business_user: User) -> None:
    assert client.get("/book/not-a-key").status_code == 404
    inactive = make_offer(business_user, "Old offer", active=False)
    assert client.get(f"/book/{inactive.booking_key}").status_code == 404


def test_a_named_closer_limits_the_slots_and_an_unknown_one_is_reported(
    client: FlaskClient, setting: dict, second_closer: User
) -> None:
    body = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris"))
    assert "Any available closer" in body and "Bruno Second" in body and "Claire Closer" in body
    body = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&closer=999999"))
    assert "That closer does not take calls for this offer" in body
    body = text(client.get(f"/book/{key(setting)}?tz=Europe/Paris&closer={second_closer.id}"))
    assert f"closer={second_closer.id}" in body  # the slot links keep the choice


# --- confirm and book --------------------------------------------------------------------------


def test_the_confirm_step_summarises_the_slot_in_the_prospects_zone(client: FlaskClient, setting: dict) -> None:
    response = client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&tz=America/New_York")
    body = text(response)
    assert response.status_code == 200
    assert "Tuesday, June 2, 3:00\u202fAM–4:00\u202fAM (New York)" in body
    assert QUESTION in body


def test_a_prospect_books_a_video_call_and_gets_the_confirmation(client: FlaskClient, setting: dict) -> None:
    url = f"/book/{key(setting)}/confirm?tz=America/New_York"
    response = client.post(url, data=prospect_form())
    assert response.status_code == 302, text(response)[:2000]
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.starts_at == TUESDAY_9 and appointment.booked_via == BookedVia.BOOKING_PAGE
    assert appointment.lead.email == "nora@example.com" and appointment.lead.phone_e164 == "+12125550100"
    assert appointment.answers == [{"question": QUESTION, "answer": "About 20k"}]
    done = client.get(response.headers["Location"])
    body = text(done)
    assert done.status_code == 200
    assert "Tuesday, June 2, 3:00\u202fAM–4:00\u202fAM (New York)" in body
    assert "Claire Closer" in body and appointment.meeting_url in body
    token = token_of(appointment)
    assert f"/appointments/manage/{token}" in body
    ics = client.get(f"/appointments/manage/{token}/invite.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"BEGIN:VCALENDAR" in ics.data and appointment.uid.encode() in ics.data


def test_form_errors_show_the_form_again_and_book_nothing(client: FlaskClient, setting: dict) -> None:
    before = snapshot()
    response = client.post(
        f"/book/{key(setting)}/confirm?tz=America/New_York",
        data=prospect_form(name="", email="not-an-email", answer_0="  "),
    )
    body = text(response)
    assert response.status_code == 422
    assert "Please correct the highlighted fields." in body
    assert "Please answer this question." in body
    assert body.count('class="error"') >= 3
    assert 'value="not-an-email"' in body  # what the prospect typed is kept
    assert snapshot() == before


def test_a_phone_call_without_a_number_is_refused_on_the_phone_field(client: FlaskClient, setting: dict) -> None:
    before = snapshot()
    response = client.post(
        f"/book/{key(setting)}/confirm?tz=America/New_York", data=prospect_form(channel="phone", phone="")
    )
    body = text(response)
    assert response.status_code == 422
    assert 'id="phone-err"' in body and "phone number" in body
    assert snapshot() == before


def test_a_bad_phone_number_is_named_and_nothing_is_booked(client: FlaskClient, setting: dict) -> None:
    before = snapshot()
    response = client.post(f"/book/{key(setting)}/confirm?tz=America/New_York", data=prospect_form(phone="12"))
    assert response.status_code == 422
    assert 'id="phone-err"' in text(response)
    assert snapshot() == before


def test_a_bad_or_naive_start_shows_the_slot_picker_with_a_message(client: FlaskClient, setting: dict) -> None:
    for start in ("yesterday", "2026-06-02T07:00:00", "2026-13-40T07:00:00Z", ""):
        response = client.get(f"/book/{key(setting)}/confirm?start={start}&tz=America/New_York")
        assert response.status_code == 400, start
        body = text(response)
        assert "That time could not be read. Pick one of the free times below." in body
        assert 'data-slot-start="2026-06-01T11:00:00Z"' in body  # 07:00 in New York, the first free day
    before = snapshot()
    response = client.post(f"/book/{key(setting)}/confirm", data=prospect_form(start="2026-06-02 07:00"))
    assert response.status_code == 400
    assert snapshot() == before


def test_a_start_outside_the_closers_hours_is_refused_with_the_reason(client: FlaskClient, setting: dict) -> None:
    before = snapshot()
    # 03:00 UTC is 05:00 in Paris, before the closer's hours.
    response = client.post(
        f"/book/{key(setting)}/confirm?tz=America/New_York", data=prospect_form(start="2026-06-02T03:00:00Z")
    )
    assert response.status_code == 422
    assert 'data-testid="start-error"' in text(response)
    assert snapshot() == before
    # In the past.
    response = client.post(
        f"/book/{key(setting)}/confirm?tz=America/New_York", data=prospect_form(start="2026-05-29T07:00:00Z")
    )
    assert response.status_code == 422
    assert snapshot() == before


def test_a_slot_taken_meanwhile_offers_the_three_nearest_and_changes_nothing(
    client: FlaskClient, setting: dict
) -> None:
    book(setting["offer"])  # someone else takes Tuesday 09:00 Paris first
    before = snapshot()
    url = f"/book/{key(setting)}/confirm?tz=America/New_York"
    response = client.post(url, data=prospect_form())
    body = text(response)
    assert response.status_code == 409
    assert "is no longer available" in body and "Tuesday, June 2, 3:00\u202fAM–4:00\u202fAM (New York)" in body
    alternatives = re.findall(r'name="alt_start" value="([^"]+)"', body)
    assert len(alternatives) == 3
    assert "2026-06-02T12:00:00Z" in alternatives  # Tuesday 14:00 Paris: the nearest in New York's daytime
    assert "Book Tuesday, June 2, 8:00\u202fAM (New York)" in body
    assert 'value="Nora York"' in body  # the details stay filled in
    assert snapshot() == before
    # One click on an alternative books it with the same details.
    response = client.post(url, data={**prospect_form(), "alt_start": "2026-06-02T12:00:00Z"})
    assert response.status_code == 302
    db.session.rollback()
    mine = db.session.scalars(select(Appointment).join(Lead).where(Lead.email == "nora@example.com")).one()
    assert mine.starts_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def test_opening_the_confirm_step_of_a_taken_slot_shows_the_alternatives(client: FlaskClient, setting: dict) -> None:
    book(setting["offer"])
    response = client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T07:00:00Z&tz=Europe/Paris")
    body = text(response)
    assert response.status_code == 200
    assert 'data-testid="slot-taken"' in body
    assert len(re.findall(r'name="alt_start"', body)) == 3


def test_the_booking_form_is_rate_limited_per_address(app: Any, client: FlaskClient, setting: dict) -> None:
    app.config["RATELIMIT_ENABLED"] = True
    statuses = [
        client.post(f"/book/{key(setting)}/confirm", data=prospect_form(name="")).status_code for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


# --- the prospect's manage link -----------------------------------------------------------------


def test_a_tampered_or_foreign_manage_token_is_a_404(client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"])
    token = token_of(appointment)
    before = snapshot()
    bad = [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", token + "x"]
    for forged in bad:
        assert client.get(f"/appointments/manage/{forged}").status_code == 404
        assert client.post(f"/appointments/manage/{forged}/cancel", data={"reason": "x"}).status_code == 404
        assert client.get(f"/appointments/manage/{forged}/invite.ics").status_code == 404
    assert client.get(f"/book/{key(setting)}/done/{bad[0]}").status_code == 404
    assert client.get(f"/book/other-key/done/{token}").status_code == 404
    assert snapshot() == before


def test_the_prospect_reschedules_from_the_manage_link_with_the_same_closer(client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"])
    token = token_of(appointment)
    page = text(client.get(f"/appointments/manage/{token}"))
    assert "Tuesday, June 2, 3:00\u202fAM–4:00\u202fAM (New York)" in page
    assert "Changes are possible until 4 hours before the call." in page
    assert 'value="2026-06-02T08:00:00Z"' in page
    # The booking page's month calendar, opened on the call's day; its days link back to this page.
    assert re.search(
        r'day-free day-chosen" data-day="2026-06-02"\s+'
        r'href="/appointments/manage/[^"?]+\?tz=[^"]*day=2026-06-02#reschedule"',
        page,
    )
    assert '<h2 id="day-title">Tuesday, June 2</h2>' in page
    wednesday = text(client.get(f"/appointments/manage/{token}?day=2026-06-03"))
    assert 'value="2026-06-03T07:00:00Z"' in wednesday and 'value="2026-06-02T08:00:00Z"' not in wednesday
    # The picker is in the prospect's zone and says which times are at night there.
    assert re.search(r'value="2026-06-02T08:00:00Z"> 4:00\u202fAM <span class="muted small">\(at night\)</span>', page)
    assert re.search(r'value="2026-06-02T11:00:00Z"> 7:00\u202fAM</label>', page)
    response = client.post(
        f"/appointments/manage/{token}/reschedule", data={"start": "2026-06-02T08:00:00Z", "reason": "Clash"}
    )
    assert response.status_code == 302
    db.session.rollback()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.starts_at == TUESDAY_10 and moved.sequence == 1 and moved.closer_id == setting["closer"].id
    assert [(e.kind, e.actor_label, e.reason) for e in moved.events][-1] == ("rescheduled", "prospect", "Clash")
    assert "Tuesday, June 2, 4:00\u202fAM–5:00\u202fAM (New York)" in text(client.get(f"/appointments/manage/{token}"))


def test_the_manage_pages_picker_leaves_night_times_out_unless_asked_or_the_call_is_at_night(
    client: FlaskClient, setting: dict
) -> None:
    """As on the booking page: a prospect in New York who booked at 7:00 AM is not offered 3:00 AM first."""
    daytime_call = book(setting["offer"], TUESDAY_9 + hours(4), lead=lead_details(email="day@example.com"))  # 7:00 AM
    token = token_of(daytime_call)
    page = text(client.get(f"/appointments/manage/{token}?day=2026-06-03"))
    assert 'value="2026-06-03T07:00:00Z"' not in page  # 3:00 AM in New York
    assert re.search(r'value="2026-06-03T11:00:00Z"> 7:00\u202fAM</label>', page)
    hidden = page.split('data-testid="night-hidden"')[1].split("</p>")[0]
    assert re.search(r"\d+ more free times this month are early in the morning or late at night", hidden)
    assert re.search(
        r'href="/appointments/manage/[^"]+hours=all[^"]*day=2026-06-03[^"]*#reschedule">Show all times<', hidden
    )
    everything = text(client.get(f"/appointments/manage/{token}?day=2026-06-03&hours=all"))
    assert re.search(
        r'value="2026-06-03T07:00:00Z"> 3:00\u202fAM <span class="muted small">\(at night\)</span>', everything
    )
    # The choice survives the calendar's links and the form, and leads back to the daytime view.
    assert re.search(r'data-day="2026-06-04"\s+href="[^"]*hours=all[^"]*day=2026-06-04#reschedule"', everything)
    assert re.search(r'action="/appointments/manage/[^"]+/reschedule\?[^"]*hours=all', everything)
    assert re.search(r'data-testid="night-shown"><a href="[^"]*hours=day[^"]*">Show only times between', everything)
    # A call already at night (3:00 AM there) was chosen so: its picker shows the night times at first.
    night_call = book(setting["offer"], TUESDAY_9, lead=lead_details(email="night@example.com"))
    night_page = text(client.get(f"/appointments/manage/{token_of(night_call)}?day=2026-06-03"))
    assert 'value="2026-06-03T07:00:00Z"' in night_page and "night-hidden" not in night_page
    day_only = text(client.get(f"/appointments/manage/{token_of(night_call)}?day=2026-06-03&hours=day"))
    assert 'value="2026-06-03T07:00:00Z"' not in day_only and 'data-testid="night-hidden"' in day_only
    # In a zone where every free time is daytime there is nothing to hide or show.
    paris = text(client.get(f"/appointments/manage/{token}?day=2026-06-03&tz=Europe/Paris"))
    assert "night-hidden" not in paris and "night-shown" not in paris and 'value="2026-06-03T07:00:00Z"' in paris


def test_policy_errors_are_shown_on_the_manage_page_and_change_nothing(client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"])
    token = token_of(appointment)
    before = snapshot()
    # The business requires a reason (the default).
    response = client.post(f"/appointments/manage/{token}/cancel", data={"reason": ""})
    assert response.status_code == 422 and "Please give a reason." in text(response)
    response = client.post(f"/appointments/manage/{token}/reschedule", data={"start": "2026-06-02T08:00:00Z"})
    assert response.status_code == 422 and "Please give a reason." in text(response)
    # No new time chosen.
    response = client.post(f"/appointments/manage/{token}/reschedule", data={"reason": "Clash"})
    assert response.status_code == 422 and "Choose one of the free times." in text(response)
    # Too late: the business wants two weeks' notice.
    business = db.session.get(Business, appointment.business_id)
    business.change_notice_minutes = 20160
    db.session.commit()
    before = snapshot()
    response = client.post(f"/appointments/manage/{token}/cancel", data={"reason": "Sick"})
    assert response.status_code == 409 and "at least 336 hour(s) before" in text(response)
    # No more moves allowed.
    business.change_notice_minutes, business.max_reschedules = 0, 0
    db.session.commit()
    response = client.post(
        f"/appointments/manage/{token}/reschedule", data={"start": "2026-06-02T08:00:00Z", "reason": "Clash"}
    )
    assert response.status_code == 409 and "the most this business allows" in text(response)
    assert snapshot() == before


def test_the_prospect_cancels_and_the_link_then_says_so(client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"])
    token = token_of(appointment)
    response = client.post(f"/appointments/manage/{token}/cancel", data={"reason": "No budget"})
    assert response.status_code == 302
    page = client.get(f"/appointments/manage/{token}")
    assert page.status_code == 200 and "This call was cancelled." in text(page)
    assert "Move the call" not in text(page)
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    # A second cancel through the same link changes nothing.
    assert client.post(f"/appointments/manage/{token}/cancel", data={"reason": "again"}).status_code == 404


# --- signed-in pages ---------------------------------------------------------------------------


def test_another_tenants_appointment_is_a_404(
    app: Any, setting: dict, make_user: UserFactory, closer_client: FlaskClient
) -> None:
    appointment = book(setting["offer"])
    other_business = _logged_in(app, make_user("business", business_name="Rival Inc"))
    other_closer = _logged_in(app, make_user("closer"))
    before = snapshot()
    for client in (other_business, other_closer):
        assert client.get(f"/appointments/{appointment.id}").status_code == 404
        assert client.post(f"/appointments/{appointment.id}/cancel", data={"reason": "x"}).status_code == 404
        assert client.post(f"/appointments/{appointment.id}/reschedule", data={"reason": "x"}).status_code == 404
        assert f'data-appointment-id="{appointment.id}"' not in text(client.get("/appointments"))
    assert other_closer.get(f"/appointments/{appointment.id}/follow-up").status_code == 404
    assert other_business.get(f"/appointments/new?lead_id={appointment.lead_id}").status_code == 404
    assert snapshot() == before
    assert closer_client.get(f"/appointments/{appointment.id}").status_code == 200


def test_the_closer_sees_the_call_with_context_script_and_history(closer_client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"], answers={QUESTION: "20k"})
    body = text(closer_client.get(f"/appointments/{appointment.id}"))
    assert "Tue, 2 Jun 2026, 09:00–10:00 (Paris)" in body
    assert "For the prospect: Tue, 2 Jun 2026, 03:00–04:00 (New York)" in body  # the reader's clock style
    assert "Scale to 50k/month" in body and "20k" in body  # lead context and answers
    assert "1. Rapport" in body  # the offer's closing script
    assert appointment.meeting_url in body
    assert "booked" in body.split('data-testid="history"')[1] and "prospect" in body.split('data-testid="history"')[1]
    listing = text(closer_client.get("/appointments"))
    assert f'data-appointment-id="{appointment.id}"' in listing
    assert "Tue 2 Jun 09:00–10:00" in listing and "Tue 2 Jun 03:00" in listing and "(New York)" in listing


def test_the_list_filters_by_status_and_dates_and_reports_bad_filters(
    business_client: FlaskClient, setting: dict
) -> None:
    appointment = book(setting["offer"])
    row = f'data-appointment-id="{appointment.id}"'
    assert row in text(business_client.get("/appointments"))
    assert row not in text(business_client.get("/appointments?status=cancelled"))
    assert row in text(business_client.get("/appointments?status=&from=2026-06-02&to=2026-06-02"))
    assert row not in text(business_client.get("/appointments?from=2026-06-03"))
    body = text(business_client.get("/appointments?status=bogus&from=June"))
    assert "Unknown status “bogus”" in body and "“June” is not a date" in body and row in body


def test_the_closers_schedule_shows_each_call_at_both_local_times(closer_client: FlaskClient, setting: dict) -> None:
    book(setting["offer"])
    body = text(closer_client.get("/schedule?week=2026-06-03"))
    assert "Mon 1 Jun – Sun 7 Jun" in body
    assert "09:00 your time" in body and "03:00 for the prospect in New York" in body
    assert "/calendar/settings" in body
    assert "is not a date" in text(closer_client.get("/schedule?week=soon"))
    assert "No calls." in text(closer_client.get("/schedule?week=2026-06-10"))


def test_the_dashboards_show_upcoming_calls(
    closer_client: FlaskClient, business_client: FlaskClient, setting: dict
) -> None:
    book(setting["offer"])
    closer_card = text(closer_client.get("/dashboard")).split('data-testid="upcoming-calls"')[1].split("</section>")[0]
    assert "Tue, 2 Jun 2026, 09:00" in closer_card and "03:00 for the prospect in New York" in closer_card
    business_card = text(business_client.get("/dashboard")).split('data-testid="upcoming-calls"')[1]
    assert "Paula Prospect" in business_card.split("</section>")[0]


def test_the_business_moves_a_call_from_its_page_with_a_reason(business_client: FlaskClient, setting: dict) -> None:
    appointment = book(setting["offer"])
    before = snapshot()
    response = business_client.post(f"/appointments/{appointment.id}/reschedule", data={"start": "x", "reason": "r"})
    assert response.status_code == 422 and "Choose one of the free times." in text(response)
    assert snapshot() == before
    response = business_client.post(
        f"/appointments/{appointment.id}/reschedule", data={"start": "2026-06-03T07:00:00Z", "reason": "Closer ill"}
    )
    assert response.status_code == 302
    db.session.rollback()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.starts_at == datetime(2026, 6, 3, 7, 0, tzinfo=UTC)
    assert moved.events[-1].actor_label == "business"
    body = text(business_client.get(f"/appointments/{appointment.id}"))
    assert "Closer ill" in body and "Omar Owner" in body
    # The business's picker shows the prospect's time beside, and whether it is at night for them.
    assert "(05:00 for the prospect, at night)" in body and "(08:00 for the prospect)" in body


def test_the_business_books_a_call_for_an_existing_lead(
    business_client: FlaskClient, setting: dict, business_user: User
) -> None:
    lead = leads.create_lead(db.session, business_user, lead_details(), now=clock.utcnow())
    offer = setting["offer"]
    page = text(business_client.get(f"/appointments/new?lead_id={lead.id}"))
    assert "Book a call for Paula Prospect" in page and offer.name in page
    page = text(business_client.get(f"/appointments/new?lead_id={lead.id}&offer_id={offer.id}"))
    assert "Route automatically" in page and "Claire Closer" in page
    assert 'value="2026-06-02T07:00:00Z"' in page and "03:00 for the prospect" in page
    url = f"/appointments/new?lead_id={lead.id}&offer_id={offer.id}&closer=auto"
    before = snapshot()
    response = business_client.post(url, data={"channel": "video"})
    assert response.status_code == 422 and "Choose a time." in text(response)
    assert snapshot() == before
    response = business_client.post(url, data={"start": "2026-06-02T07:00:00Z", "channel": "phone"})
    assert response.status_code == 302, text(response)[:1500]
    db.session.rollback()
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.booked_via == BookedVia.BUSINESS and appointment.dial_number == "+12125550123"
    assert appointment.routing_reason
    # The same slot again: taken, with alternatives, nothing changes.
    before = snapshot()
    response = business_client.post(url, data={"start": "2026-06-02T07:00:00Z", "channel": "video"})
    assert response.status_code == 409
    assert 'data-testid="alternatives"' in text(response)
    assert snapshot() == before


def test_booking_for_a_lead_refuses_unknown_offers_and_other_businesses_leads(
    app: Any, business_client: FlaskClient, setting: dict, make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Inc")
    rival_lead = leads.create_lead(db.session, rival, lead_details(), now=clock.utcnow())
    assert business_client.get(f"/appointments/new?lead_id={rival_lead.id}").status_code == 404
    assert business_client.get("/appointments/new?lead_id=abc").status_code == 422  # asks for a lead again
    own = leads.create_lead(db.session, setting["owner"], lead_details(email="own@example.com"), now=clock.utcnow())
    body = text(business_client.get(f"/appointments/new?lead_id={own.id}&offer_id=424242"))
    assert "Choose one of your active offers." in body


def test_the_closer_books_a_follow_up_with_the_same_lead(closer_client: FlaskClient, setting: dict) -> None:
    first = book(setting["offer"])
    page = text(closer_client.get(f"/appointments/{first.id}/follow-up"))
    assert "Follow-up call with Paula Prospect" in page and 'value="2026-06-02T08:00:00Z"' in page
    response = closer_client.post(
        f"/appointments/{first.id}/follow-up", data={"start": "2026-06-04T07:00:00Z", "channel": "video"}
    )
    assert response.status_code == 302, text(response)[:1500]
    db.session.rollback()
    follow = db.session.scalars(select(Appointment).where(Appointment.follow_up_of_id == first.id)).one()
    assert follow.lead_id == first.lead_id and follow.engagement_id == first.engagement_id
    assert follow.booked_via == BookedVia.CLOSER


def test_an_admin_sees_every_call_and_cancels_inside_the_notice_without_a_reason(
    admin_client: FlaskClient, setting: dict
) -> None:
    appointment = book(setting["offer"])
    business = db.session.get(Business, appointment.business_id)
    business.change_notice_minutes = 20160  # far too late for everyone else
    db.session.commit()
    assert f'data-appointment-id="{appointment.id}"' in text(admin_client.get("/appointments"))
    assert "Claire Closer" in text(admin_client.get(f"/appointments/{appointment.id}"))
    response = admin_client.post(f"/appointments/{appointment.id}/cancel", data={"reason": ""})
    assert response.status_code == 302
    db.session.rollback()
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.status == AppointmentStatus.CANCELLED and cancelled.events[-1].actor_label == "admin"


# --- business profile: change policy, offers: booking link -------------------------------------


def _profile(business: Business, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": business.name,
        "timezone": business.timezone,
        "currency": business.currency,
        "change_notice_minutes": "120",
        "change_reason_required": "y",
        "max_reschedules": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_change_policy_is_edited_on_the_business_profile_with_validation(
    business_client: FlaskClient, business_user: User
) -> None:
    business = db.session.get(Business, business_user.business_id)
    url = f"/businesses/{business.id}"
    page = text(business_client.get(url))
    assert 'name="change_notice_minutes"' in page and 'value="240"' in page
    for bad in ({"change_notice_minutes": "-5"}, {"max_reschedules": "11"}, {"change_notice_minutes": "soon"}):
        response = business_client.post(url, data=_profile(business, **bad))
        assert response.status_code == 422, bad
        db.session.expire_all()
        assert (business.change_notice_minutes, business.max_reschedules) == (240, 2)
    response = business_client.post(url, data=_profile(business, change_reason_required=None))
    assert response.status_code == 302
    db.session.expire_all()
    assert (business.change_notice_minutes, business.change_reason_required, business.max_reschedules) == (
        120,
        False,
        3,
    )


def test_the_offers_page_shows_each_active_offers_public_booking_link(
    business_client: FlaskClient, business_user: User
) -> None:
    offer = make_offer(business_user)
    body = text(business_client.get("/offers"))
    assert f"http://localhost/book/{offer.booking_key}" in body


def test_the_nav_links_to_the_schedule_and_appointments(closer_client: FlaskClient) -> None:
    body = text(closer_client.get("/dashboard"))
    assert 'href="/schedule"' in body and 'href="/appointments"' in body


def test_nearest_times_offered_for_a_taken_slot_say_which_are_at_night(client: FlaskClient, setting: dict) -> None:
    book(setting["offer"], datetime(2026, 6, 2, 11, 0, tzinfo=UTC))  # Tuesday 07:00 in New York: taken
    body = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T11:00:00Z&tz=America/New_York"))
    buttons = re.findall(r'name="alt_start" value="([^"]+)"[^>]*>([^<]+)</button>', body)
    # The nearest three in New York's daytime first (08:00-20:00 there): 08:00, 09:00 and 10:00, not 05:00 and 06:00.
    starts = ["2026-06-02T12:00:00Z", "2026-06-02T13:00:00Z", "2026-06-02T14:00:00Z"]
    assert [start for start, _label in buttons] == starts
    assert [label.endswith("(at night)") for _start, label in buttons] == [False, False, False]
    # A Paris prospect: the same taken 13:00 offers 11:00, 12:00 and 14:00 (the nearest, all daytime there).
    body = text(client.get(f"/book/{key(setting)}/confirm?start=2026-06-02T11:00:00Z&tz=Europe/Paris"))
    buttons = re.findall(r'name="alt_start" value="([^"]+)"[^>]*>([^<]+)</button>', body)
    assert [start for start, _label in buttons] == [
        "2026-06-02T09:00:00Z",
        "2026-06-02T10:00:00Z",
        "2026-06-02T12:00:00Z",
    ]


def test_the_zone_list_loads_on_demand_and_without_javascript_by_a_link(client: FlaskClient, setting: dict) -> None:
    page = text(client.get(f"/book/{key(setting)}?tz=America/New_York&day=2026-06-02"))
    select = page.split('<select id="tz"')[1].split("</select>")[0]
    assert select.count("<option") == 1 and 'value="America/New_York" selected' in select
    more = re.search(r'data-testid="more-zones" href="([^"]+)"', page)
    assert more and "zones=all" in more.group(1) and "day=2026-06-02" in more.group(1)
    everything = text(client.get(more.group(1).replace("&amp;", "&")))
    assert (
        everything.split('<select id="tz"')[1].count("<option") > 300 and 'data-testid="more-zones"' not in everything
    )
    response = client.get("/booking-zones.json?lang=en")
    zones = dict(response.get_json()["zones"])  # [IANA value, label] pairs, west to east
    assert zones["Asia/Kolkata"] == "(UTC+05:30) Kolkata, India" and "Asia/Calcutta" not in zones
    assert "max-age" in response.headers["Cache-Control"]
    french = dict(client.get("/booking-zones.json?lang=fr").get_json()["zones"])
    assert french["Asia/Kolkata"] == "(UTC+05:30) Kolkata, Inde" and french.keys() == zones.keys()
    assert 'booking-zones.json?lang=en"' in page  # the page asks for its own language's list
