"""Booking use cases on the real database: validation, busy time, routing, the guard, reschedule and cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.businesses.models import Business
from closerhub.closers.models import AvailabilitySummary, CloserProfile, MeetingMode
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.leads.models import Lead
from tests.conftest import UserFactory
from tests.integration.booking_seams import remove_booking_guard
from tests.integration.booking_setup import (
    NOW,
    TUESDAY_9,
    book,
    engage,
    frozen,
    hours,
    lead_details,
    second_closer,
    set_hours,
    setting,
    snapshot,
)
from tests.integration.test_engagements import make_offer

__all__ = ["frozen", "second_closer", "setting"]  # fixtures


def test_booking_stores_the_call_in_utc_with_a_video_room_history_and_a_new_lead(setting: dict[str, Any]) -> None:
    appointment = book(setting["offer"], answers={"What is your monthly revenue?": "20k"})
    db.session.expire_all()
    row = db.session.get(Appointment, appointment.id)
    assert (row.starts_at, row.ends_at, row.blocked_until) == (TUESDAY_9, TUESDAY_9 + hours(1), TUESDAY_9 + hours(1))
    assert row.status == AppointmentStatus.BOOKED and row.closer_id == setting["closer"].id
    assert row.meeting_url.startswith("https://meet.closerhub.app/") and len(row.meeting_url) > 40
    assert row.prospect_timezone == "America/New_York" and row.booked_via == BookedVia.BOOKING_PAGE
    assert row.answers == [{"question": "What is your monthly revenue?", "answer": "20k"}]
    assert [(e.kind, e.actor_label, e.to_start) for e in row.events] == [("booked", "prospect", TUESDAY_9)]
    lead = db.session.scalar(select(Lead))
    assert (lead.email, lead.needs, lead.business_id) == ("paula@example.com", "Scale to 50k/month", row.business_id)
    assert "only closer free" in row.routing_reason


def test_each_booking_gets_its_own_room_and_a_closer_with_an_own_url_keeps_it(
    setting: dict[str, Any], make_user: UserFactory
) -> None:
    first = book(setting["offer"])
    second = book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="sam@example.com"))
    assert first.meeting_url != second.meeting_url
    db.session.execute(
        update(CloserProfile)
        .where(CloserProfile.user_id == setting["closer"].id)
        .values(meeting_mode=MeetingMode.OWN_URL, meeting_url="https://zoom.example/claire")
    )
    db.session.commit()
    third = book(setting["offer"], TUESDAY_9 + hours(2), lead=lead_details(email="tom@example.com"))
    assert third.meeting_url == "https://zoom.example/claire"


def test_a_phone_call_has_a_dial_plan_and_needs_the_prospects_number(setting: dict[str, Any]) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        book(setting["offer"], channel="phone", lead=lead_details(phone=None))
    assert "lead.phone" in refused.value.field_errors and snapshot() == before
    call = book(setting["offer"], channel="phone")
    assert (call.dial_from, call.dial_number, call.meeting_url) == ("closer", "+12125550123", None)


@pytest.mark.parametrize(
    ("case", "start", "words"),
    [
        ("past", NOW - hours(1), "past"),
        ("inside the notice", NOW + hours(2), "notice"),
        ("beyond the horizon", TUESDAY_9 + timedelta(days=35), "far ahead"),
        ("outside the hours", TUESDAY_9 - hours(2), "not one of the closer's available slots"),
        ("off the slot grid", TUESDAY_9 + timedelta(minutes=30), "not one of the closer's available slots"),
        ("on a Saturday", TUESDAY_9 + timedelta(days=4), "not one of the closer's available slots"),
    ],
)
def test_a_start_that_is_not_a_slot_is_refused_clearly_and_changes_nothing(
    setting: dict[str, Any], case: str, start: datetime, words: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        book(setting["offer"], start)
    assert words in refused.value.message and set(refused.value.field_errors) == {"start"}
    assert snapshot() == before


def test_a_naive_start_is_refused(setting: dict[str, Any]) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        book(setting["offer"], TUESDAY_9.replace(tzinfo=None))
    assert "offset" in refused.value.message and snapshot() == before


def test_an_ended_engagement_cannot_be_booked(setting: dict[str, Any]) -> None:
    engagements.end(db.session, setting["owner"], setting["engagement"].id, "Season over", now=clock.utcnow())
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        book(setting["offer"], engagement_id=setting["engagement"].id)
    assert refused.value.code == "engagement_not_active" and snapshot() == before
    with pytest.raises(Conflict) as routed:
        book(setting["offer"])
    assert routed.value.code == "no_closer" and snapshot() == before


def test_another_businesss_lead_or_engagement_is_refused(setting: dict[str, Any], make_user: UserFactory) -> None:
    rival = make_user("business", business_name="Rival Ltd")
    rival_closer = make_user("closer", email="rita@example.com")
    set_hours(rival_closer)
    rival_offer = make_offer(rival, "Rival offer")
    rival_engagement = engage(rival, rival_closer, rival_offer)
    rival_lead = book(rival_offer, lead=lead_details(email="rival-lead@example.com")).lead
    before = snapshot()
    with pytest.raises(ValidationError) as lead_refused:
        book(setting["offer"], lead=rival_lead, actor=setting["owner"], via=BookedVia.BUSINESS)
    assert set(lead_refused.value.field_errors) == {"lead_id"}
    with pytest.raises(NotFound):
        book(setting["offer"], engagement_id=rival_engagement.id, actor=setting["owner"], via=BookedVia.BUSINESS)
    with pytest.raises(NotFound):  # a business user cannot book on another business's offer at all
        book(rival_offer, actor=setting["owner"], via=BookedVia.BUSINESS)
    assert snapshot() == before


def test_calls_may_be_back_to_back(setting: dict[str, Any]) -> None:
    book(setting["offer"])
    second = book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="next@example.com"))
    assert second.starts_at == TUESDAY_9 + hours(1)


def test_the_buffer_keeps_the_next_slot_away_and_the_database_stores_it(setting: dict[str, Any]) -> None:
    set_hours(setting["closer"], buffer_minutes=15)
    first = book(setting["offer"])
    assert first.blocked_until == first.ends_at + timedelta(minutes=15)
    with pytest.raises(service.SlotUnavailable) as taken:
        book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="next@example.com"))
    assert TUESDAY_9 + hours(1) not in [s.start for s in taken.value.alternatives]
    assert book(setting["offer"], TUESDAY_9 + hours(2), lead=lead_details(email="n2@example.com")).id


def test_a_taken_slot_answers_with_the_three_nearest_free_slots(setting: dict[str, Any]) -> None:
    book(setting["offer"])
    before = snapshot()
    with pytest.raises(service.SlotUnavailable) as taken:
        book(setting["offer"], lead=lead_details(email="late@example.com"))
    assert taken.value.status == 409 and taken.value.code == "slot_unavailable"
    # the nearest in the New York prospect's daytime (08:00-20:00 there: 14:00-17:00 Paris) first
    assert [s.start for s in taken.value.alternatives] == [TUESDAY_9 + hours(n) for n in (5, 6, 7)]
    assert snapshot() == before


def test_a_cancelled_slot_can_be_booked_again(setting: dict[str, Any]) -> None:
    first = book(setting["offer"])
    service.cancel(db.session, first, actor=None, actor_label="prospect", reason="Double-booked myself", now=NOW)
    again = book(setting["offer"], lead=lead_details(email="other@example.com"))
    assert again.starts_at == TUESDAY_9 and again.id != first.id


def test_a_30_minute_call_inside_a_60_minute_one_is_refused(setting: dict[str, Any]) -> None:
    book(setting["offer"])
    setting["offer"].call_minutes = setting["offer"].start_increment_minutes = 30  # the offer sets the call
    db.session.commit()
    with pytest.raises(service.SlotUnavailable):
        book(setting["offer"], TUESDAY_9 + timedelta(minutes=30), lead=lead_details(email="half@example.com"))
    short = book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="half@example.com"))
    assert short.ends_at - short.starts_at == timedelta(minutes=30)


def test_the_database_refuses_a_double_booking_that_slipped_past_the_check(
    setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    book(setting["offer"])
    remove_booking_guard(monkeypatch)  # skip the locks and the busy check: only the database guard is left
    before = snapshot()
    with pytest.raises(service.SlotUnavailable) as taken:
        book(setting["offer"], lead=lead_details(email="racer@example.com"))
    assert len(taken.value.alternatives) == 3 and snapshot() == before


def test_round_robin_gives_the_call_to_the_least_recently_booked_free_closer(
    setting: dict[str, Any], second_closer: User
) -> None:
    claire = setting["closer"]
    first = book(setting["offer"])  # nobody booked yet: the older engagement wins the tie
    assert first.closer_id == claire.id
    assert "2 closers free" in first.routing_reason and "last booked never" in first.routing_reason
    second = book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="b@example.com"))
    assert second.closer_id == second_closer.id and "least recently booked" in second.routing_reason
    third = book(setting["offer"], TUESDAY_9 + hours(2), lead=lead_details(email="c@example.com"))
    assert third.closer_id == claire.id
    same_time = book(setting["offer"], TUESDAY_9 + hours(2), lead=lead_details(email="d@example.com"))
    assert same_time.closer_id == second_closer.id and "only closer free" in same_time.routing_reason


def test_a_named_closer_skips_routing(setting: dict[str, Any], second_closer: User) -> None:
    call = book(setting["offer"], closer_id=second_closer.id)
    assert call.closer_id == second_closer.id and call.routing_reason.startswith("Closer chosen")


def test_booked_time_disappears_from_the_slots_and_the_summary(setting: dict[str, Any]) -> None:
    closer = setting["closer"]
    day = TUESDAY_9.date()

    def starts() -> list[datetime]:
        return [
            s.start
            for s in service.closer_slots(
                db.session, closer, viewer_zone="Europe/Paris", from_date=day, to_date=day, now=NOW
            )
        ]

    before_count = db.session.get(AvailabilitySummary, closer.id).free_slots_7d
    assert TUESDAY_9 in starts()
    book(setting["offer"])
    assert TUESDAY_9 not in starts() and len(starts()) == 7
    db.session.expire_all()
    assert db.session.get(AvailabilitySummary, closer.id).free_slots_7d == before_count - 1
    offer_starts = service.offer_slots(
        db.session, setting["offer"], viewer_zone="America/New_York", from_date=day, to_date=day, now=NOW
    )
    assert TUESDAY_9 not in [s.start for s in offer_starts] and offer_starts[0].closer_ids == (closer.id,)


# --- reschedule and cancel ------------------------------------------------------------------


def test_rescheduling_keeps_the_closer_and_link_and_counts_the_change(setting: dict[str, Any]) -> None:
    call = book(setting["offer"])
    link = call.meeting_url
    moved = service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    assert (moved.starts_at, moved.meeting_url, moved.sequence, moved.reschedule_count) == (
        TUESDAY_9 + hours(3),
        link,
        1,
        1,
    )
    assert [(e.kind, e.from_start, e.to_start, e.reason) for e in moved.events][-1] == (
        "rescheduled",
        TUESDAY_9,
        TUESDAY_9 + hours(3),
        "Clash",
    )
    assert (
        book(setting["offer"], lead=lead_details(email="x@example.com")).starts_at == TUESDAY_9
    )  # the old slot is free


def test_rescheduling_to_an_overlapping_time_of_its_own_call_is_fine_but_not_onto_another(
    setting: dict[str, Any],
) -> None:
    setting["offer"].call_minutes = setting["offer"].start_increment_minutes = 30  # the offer sets the call
    db.session.commit()
    call = book(setting["offer"])
    other = book(setting["offer"], TUESDAY_9 + hours(1), lead=lead_details(email="o@example.com"))
    moved = service.reschedule(
        db.session,
        call,
        start=TUESDAY_9 + timedelta(minutes=30),
        actor=None,
        actor_label="prospect",
        reason="x",
        now=NOW,
    )
    assert moved.starts_at == TUESDAY_9 + timedelta(minutes=30)
    with pytest.raises(service.SlotUnavailable):
        service.reschedule(
            db.session, moved, start=other.starts_at, actor=None, actor_label="prospect", reason="x", now=NOW
        )


def test_the_business_policy_limits_changes_but_not_admins(
    setting: dict[str, Any], admin_user: User, make_user: UserFactory
) -> None:
    business = db.session.get(Business, setting["owner"].business_id)
    business.max_reschedules, business.change_notice_minutes = 1, 24 * 60
    db.session.commit()
    call = book(setting["offer"], TUESDAY_9 + timedelta(days=2))
    with pytest.raises(ValidationError) as no_reason:
        service.reschedule(
            db.session,
            call,
            start=TUESDAY_9 + timedelta(days=3),
            actor=None,
            actor_label="prospect",
            reason="",
            now=NOW,
        )
    assert set(no_reason.value.field_errors) == {"reason"}
    service.reschedule(
        db.session, call, start=TUESDAY_9 + timedelta(days=3), actor=None, actor_label="prospect", reason="a", now=NOW
    )
    with pytest.raises(Conflict) as limit:
        service.reschedule(
            db.session,
            call,
            start=TUESDAY_9 + timedelta(days=2),
            actor=None,
            actor_label="prospect",
            reason="b",
            now=NOW,
        )
    assert limit.value.code == "reschedule_limit"
    late = call.starts_at - hours(2)  # less than 24 h before the call
    with pytest.raises(Conflict) as too_late:
        service.cancel(db.session, call, actor=setting["owner"], actor_label="business", reason="c", now=late)
    assert too_late.value.code == "change_too_late"
    admin_moved = service.reschedule(
        db.session,
        call,
        start=call.starts_at + hours(3),
        actor=admin_user,
        actor_label="admin",
        reason="",
        now=late,
    )
    assert admin_moved.reschedule_count == 2


def test_cancelling_needs_a_booked_call_and_a_visible_one(setting: dict[str, Any], make_user: UserFactory) -> None:
    call = book(setting["offer"])
    stranger = make_user("business", business_name="Nosy Inc")
    with pytest.raises(NotFound):
        service.cancel(db.session, call, actor=stranger, actor_label="business", reason="x", now=NOW)
    done = service.cancel(db.session, call, actor=setting["closer"], actor_label="closer", reason="Ill", now=NOW)
    assert (done.status, done.cancel_reason, done.sequence, done.cancelled_at) == (
        AppointmentStatus.CANCELLED,
        "Ill",
        1,
        NOW,
    )
    with pytest.raises(Conflict) as again:
        service.cancel(db.session, done, actor=setting["closer"], actor_label="closer", reason="Ill", now=NOW)
    assert again.value.code == "appointment_not_booked"


# --- reading and links ----------------------------------------------------------------------


def test_each_viewer_finds_and_lists_only_their_calls(
    setting: dict[str, Any], make_user: UserFactory, admin_user: User
) -> None:
    call = book(setting["offer"])
    stranger_closer = make_user("closer", email="zoe@example.com")
    stranger_business = make_user("business", business_name="Other Co")
    for viewer in (setting["closer"], setting["owner"], admin_user):
        assert service.find_appointment(db.session, call.id, viewer).id == call.id
        assert [a.id for a in db.session.scalars(service.list_appointments(db.session, viewer))] == [call.id]
    for viewer in (stranger_closer, stranger_business):
        with pytest.raises(NotFound):
            service.find_appointment(db.session, call.id, viewer)
        assert list(db.session.scalars(service.list_appointments(db.session, viewer))) == []
    cancelled = service.list_appointments(db.session, admin_user, status="cancelled")
    assert list(db.session.scalars(cancelled)) == []


def test_the_manage_token_finds_the_call_until_it_is_cancelled(setting: dict[str, Any]) -> None:
    call = book(setting["offer"])
    token = service.manage_token(call)
    assert service.appointment_for_token(db.session, token).id == call.id
    with pytest.raises(NotFound):
        service.appointment_for_token(db.session, token[:-2] + "xx")
    service.cancel(db.session, call, actor=None, actor_label="prospect", reason="No", now=NOW)
    with pytest.raises(NotFound):
        service.appointment_for_token(db.session, token)
    assert service.appointment_for_token(db.session, token, allow_cancelled=True).id == call.id
