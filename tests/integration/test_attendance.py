"""Attendance: the 24 h reminder's confirm link, the closer's 2 h flag, closer no-show reports and their
review, the closer's stats, and the rebooking offer after a prospect no-show (each message exactly once)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.audit.models import AuditEntry
from closerhub.booking.attendance.models import CloserNoShowReport, ReportStatus
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.reminders.attendance_jobs import flag_unconfirmed, offer_rebooking
from closerhub.booking.reminders.email import send_due_reminders
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes.track_record import closer_stats
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import _logged_in
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world
from tests.integration.test_api_accounts import bearer

START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def world(make_user: Any) -> BookingWorld:
    return make_world(make_user, closer_zone="Europe/Paris")


def outbox(template: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)))


def run(job: Any, at: datetime) -> int:
    with clock.frozen_at(at):
        return int(job(db.session, at))


def confirm_link(message: OutboxMessage) -> str:
    found = re.search(r"https?://\S+(/appointments/attend/[^\s\"<]+)", message.text_body)
    assert found, message.text_body
    return found.group(1)


# --- step 1: confirmation -------------------------------------------------------------------


def test_the_24h_reminder_asks_the_prospect_to_confirm_and_the_link_confirms_once(
    app: Flask, world: BookingWorld, client: Any
) -> None:
    lead = make_lead(world, email="lea@prospect.example")
    appt = make_appointment(world, lead, start=START, booked_at=START - timedelta(days=3))
    assert run(send_due_reminders, START - 20 * H) == 1
    by_to = {m.to_address: m for m in outbox("appointment_reminder")}
    assert "/appointments/attend/" not in by_to[world.closer.email].text_body  # only the prospect is asked
    path = confirm_link(by_to["lea@prospect.example"])

    with clock.frozen_at(START - 19 * H):
        page = client.get(path)
        assert page.status_code == 200 and 'data-testid="confirm-attendance"' in page.get_data(as_text=True)
        db.session.refresh(appt)
        assert appt.prospect_confirmed_at is None  # opening the link (a mail scanner) confirms nothing
        assert client.post(path).status_code == 302
    db.session.refresh(appt)
    assert appt.prospect_confirmed_at == START - 19 * H
    with clock.frozen_at(START - 18 * H):
        assert client.post(path).status_code == 302  # again: nothing changes
    db.session.refresh(appt)
    assert appt.prospect_confirmed_at == START - 19 * H
    assert [e.kind for e in appt.events].count("confirmed") == 1

    # A forged or manage token does not open it.
    assert client.get("/appointments/attend/forged").status_code == 404
    from closerhub.booking.service import manage_token

    assert client.get(f"/appointments/attend/{manage_token(appt)}").status_code == 404

    # The closer's schedule says so, the API too; a confirmed prospect is not flagged.
    assert run(flag_unconfirmed, START - 90 * M) == 0
    closer_client = _logged_in(app, world.closer)
    with clock.frozen_at(START - 2 * H):
        week = closer_client.get("/schedule?week=2027-01-04").get_data(as_text=True)
        assert 'data-testid="confirmed"' in week
        body = closer_client.get(f"/api/v1/appointments/{appt.id}", headers=bearer(world.closer)).get_json()
    assert body["attendance"] == {"prospect_confirmed_at": "2027-01-04T20:00:00Z", "prospect": None, "closer": None}


def test_confirming_after_the_start_is_refused_and_changes_nothing(world: BookingWorld, client: Any) -> None:
    appt = make_appointment(world, make_lead(world), start=START, booked_at=START - timedelta(days=3))
    from closerhub.booking.attendance.service import attendance_token

    with clock.frozen_at(START + M):
        response = client.post(f"/appointments/attend/{attendance_token(appt)}")
    assert response.status_code == 409
    db.session.refresh(appt)
    assert appt.prospect_confirmed_at is None


def test_an_unconfirmed_call_is_flagged_to_the_closer_once_2h_before(world: BookingWorld) -> None:
    asked = make_appointment(world, make_lead(world), start=START, booked_at=START - timedelta(days=3))
    make_appointment(world, make_lead(world), start=START + H, booked_at=START - 5 * H)  # never asked: no flag
    run(send_due_reminders, START - 20 * H)
    assert run(flag_unconfirmed, START - 2 * H - M) == 0
    assert run(flag_unconfirmed, START - 2 * H + M) == 1
    assert run(flag_unconfirmed, START - H) == 0
    assert run(flag_unconfirmed, START + 10 * M) == 0
    flagged = outbox("appointment_unconfirmed")
    assert [m.to_address for m in flagged] == [world.closer.email]
    db.session.refresh(asked)
    assert asked.unconfirmed_flagged_at == START - 2 * H + M


# --- step 2: closer no-shows ------------------------------------------------------------------


def test_a_closer_no_show_report_once_confirmed_changes_the_closers_stats_and_a_second_flags_vetting(
    app: Flask, world: BookingWorld, client: Any, make_user: Any
) -> None:
    first = make_appointment(world, make_lead(world, email="p1@prospect.example"), start=START)
    second = make_appointment(world, make_lead(world, email="p2@prospect.example"), start=START + 2 * H)
    headers = bearer(world.owner)
    url = f"/api/v1/appointments/{first.id}/closer-no-show"

    with clock.frozen_at(START - M):  # before the start: refused, nothing stored
        early = client.post(url, json={"note": "x"}, headers=headers)
    assert early.status_code == 409 and early.get_json()["code"] == "too_early"
    with clock.frozen_at(START + 15 * M):
        assert client.post(url, json={"note": "x" * 2001}, headers=headers).status_code == 422
        assert db.session.scalar(select(CloserNoShowReport)) is None
        created = client.post(url, json={"note": "Nobody joined the room."}, headers=headers)
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["status"] == "pending"
        again = client.post(url, json={"note": "again"}, headers=headers)
        assert again.status_code == 409 and again.get_json()["code"] == "already_reported"
        # Another business's token: a 404, like a missing call.
        stranger = make_user("business")
        assert client.post(url, json={}, headers=bearer(stranger)).status_code == 404
        # A closer may not report (business only).
        assert client.post(url, json={}, headers=bearer(world.closer)).status_code == 403
    apology = outbox("appointment_closer_missed")
    assert [m.to_address for m in apology] == ["p1@prospect.example"]
    assert f"/book/{world.offer.booking_key}\n" in apology[0].text_body  # no other closer: every slot

    assert closer_stats(db.session, world.closer.id).closer_no_shows == 0  # pending: not yet

    admin = make_user("admin")
    admin_client = _logged_in(app, admin)
    report = db.session.scalar(select(CloserNoShowReport))
    assert report is not None
    with clock.frozen_at(START + H):
        dashboard = admin_client.get("/dashboard").get_data(as_text=True)
        waiting = dashboard.split('data-testid="admin-queues"', 1)[1].split("</section>", 1)[0]
        assert re.search(r'queue-count">1</span> Closer no-shows to review', waiting), waiting
        queue = admin_client.get("/admin/no-shows").get_data(as_text=True)
        assert f'data-testid="no-show-report-{report.id}"' in queue and "Nobody joined the room." in queue
        assert admin_client.post(f"/admin/no-shows/{report.id}", data={"decision": "maybe"}).status_code == 302
        db.session.refresh(report)
        assert report.status == ReportStatus.PENDING
        assert admin_client.post(f"/admin/no-shows/{report.id}", data={"decision": "confirm"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CloserNoShowReport, report.id).status == ReportStatus.CONFIRMED
    assert closer_stats(db.session, world.closer.id).closer_no_shows == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "no_show_report.confirmed"))
    body = client.get(f"/api/v1/appointments/{first.id}", headers=headers).get_json()
    assert body["attendance"]["closer"] == "no_show"
    profile = client.get(f"/api/v1/closers/{world.closer.id}", headers=headers).get_json()
    assert profile["stats"]["closer_no_shows"] == 1

    # The prospect reports the second one from the manage link; confirmed, the closer goes back to vetting.
    from closerhub.booking.service import manage_token

    token = manage_token(second)
    with clock.frozen_at(START + 2 * H - M):
        assert 'data-testid="closer-no-show"' not in client.get(f"/appointments/manage/{token}").get_data(as_text=True)
    with clock.frozen_at(START + 2 * H + 20 * M):
        assert 'data-testid="closer-no-show"' in client.get(f"/appointments/manage/{token}").get_data(as_text=True)
        assert client.post(f"/appointments/manage/{token}/closer-no-show", data={"note": ""}).status_code == 302
    second_report = db.session.scalar(select(CloserNoShowReport).where(CloserNoShowReport.appointment_id == second.id))
    assert second_report is not None and second_report.reported_by == "prospect"
    assert db.session.get(CloserVetting, world.closer.id).status == VettingStatus.APPROVED
    with clock.frozen_at(START + 3 * H):
        admin_client.post(f"/admin/no-shows/{second_report.id}", data={"decision": "confirm", "note": "Checked."})
    db.session.expire_all()
    assert closer_stats(db.session, world.closer.id).closer_no_shows == 2
    assert db.session.get(CloserVetting, world.closer.id).status == VettingStatus.IN_REVIEW
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "vetting.flagged_no_shows"))


def test_a_rejected_report_counts_nowhere(app: Flask, world: BookingWorld, client: Any, make_user: Any) -> None:
    appt = make_appointment(world, make_lead(world), start=START)
    with clock.frozen_at(START + H):
        client.post(f"/api/v1/appointments/{appt.id}/closer-no-show", json={}, headers=bearer(world.owner))
        report = db.session.scalar(select(CloserNoShowReport))
        admin_client = _logged_in(app, make_user("admin"))
        admin_client.post(f"/admin/no-shows/{report.id}", data={"decision": "reject"})
        assert admin_client.post(f"/admin/no-shows/{report.id}", data={"decision": "confirm"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CloserNoShowReport, report.id).status == ReportStatus.REJECTED
    assert closer_stats(db.session, world.closer.id).closer_no_shows == 0


# --- step 3: rebooking after a prospect no-show -------------------------------------------------


def _no_show(world: BookingWorld, email: str) -> Appointment:
    appt = make_appointment(world, make_lead(world, email=email), start=START, booked_at=START - timedelta(days=3))
    appt.status = AppointmentStatus.NO_SHOW
    db.session.commit()
    return appt


def test_a_no_show_leads_to_a_rebooking_link_and_one_follow_up_the_next_day(world: BookingWorld) -> None:
    _no_show(world, "gone@prospect.example")
    assert run(offer_rebooking, START + H) == 1
    assert run(offer_rebooking, START + 2 * H) == 0  # once
    first = outbox("appointment_rebook")
    assert [m.to_address for m in first] == ["gone@prospect.example"]
    assert f"/book/{world.offer.booking_key}" in first[0].text_body
    assert run(offer_rebooking, START + 20 * H) == 0  # not the next day yet
    assert run(offer_rebooking, START + 25 * H) == 1
    assert run(offer_rebooking, START + 30 * H) == 0
    sent = Counter(m.subject.startswith("Still interested") for m in outbox("appointment_rebook"))
    assert sent == {False: 1, True: 1}


def test_the_follow_up_stops_when_the_prospect_rebooked(world: BookingWorld) -> None:
    missed = _no_show(world, "back@prospect.example")
    run(offer_rebooking, START + H)
    make_appointment(world, missed.lead, start=START + timedelta(days=3), booked_at=START + 3 * H)
    run(offer_rebooking, START + 26 * H)
    assert len(outbox("appointment_rebook")) == 1


def test_no_rebooking_offer_outside_the_businesss_policy(world: BookingWorld) -> None:
    missed = _no_show(world, "moved@prospect.example")
    missed.reschedule_count = world.business.max_reschedules  # no move left
    db.session.commit()
    run(offer_rebooking, START + H)
    assert outbox("appointment_rebook") == []


def test_the_prospect_is_offered_another_closer_when_the_offer_has_one(
    world: BookingWorld, client: Any, make_user: Any
) -> None:
    from closerhub.engagements.models import Engagement, EngagementStatus

    other = make_user("closer", name="Bruno Backup")
    now = clock.utcnow()
    db.session.add(
        Engagement(
            business_id=world.business.id,
            offer_id=world.offer.id,
            closer_id=other.id,
            commission_rate_bps=1500,
            status=EngagementStatus.ACTIVE,
            proposed_at=now,
            accepted_at=now,
            proposed_by_id=world.owner.id,
        )
    )
    db.session.commit()
    appt = make_appointment(world, make_lead(world, email="p3@prospect.example"), start=START)
    with clock.frozen_at(START + H):
        response = client.post(f"/api/v1/appointments/{appt.id}/closer-no-show", json={}, headers=bearer(world.owner))
    assert response.status_code == 201
    [apology] = outbox("appointment_closer_missed")
    assert f"/book/{world.offer.booking_key}?without={world.closer.id}" in apology.text_body
