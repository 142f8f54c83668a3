"""SMS reminders through the real ``twilio`` SDK against a local fake of Twilio's REST API (tests/fakes/twilio.py):
exactly once with two workers, STOP/START, quiet hours across a DST change, signed inbound webhooks, delivery
status callbacks, YES confirms, and no provider keys → the SMS outbox keeps them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from closerhub import clock
from closerhub.booking.models import Appointment
from closerhub.booking.reminders import sms as sms_reminders
from closerhub.booking.reminders.sms import send_due_sms_reminders
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.notifications import sms
from closerhub.notifications.service import public_url
from closerhub.notifications.sms_models import SmsMessage, SmsOptOut, SmsStatus
from tests.conftest import _logged_in
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio, twilio_settings

PHONE = "+12125550123"  # New York
START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 in New York
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def world(make_user: Any) -> BookingWorld:
    return make_world(make_user, closer_zone="Europe/Paris")


@pytest.fixture
def provider(app: Flask, twilio_fake: FakeTwilio) -> Iterator[FakeTwilio]:
    """The app configured with Twilio keys, its REST domain pointed at the fake."""
    saved = {k: app.config.get(k) for k in twilio_settings("")}
    app.config.update(twilio_settings(twilio_fake.url))
    try:
        yield twilio_fake
    finally:
        app.config.update(saved)


def consented_lead(world: BookingWorld, *, phone: str = PHONE, timezone: str = "America/New_York") -> Lead:
    lead = make_lead(world, phone=phone, timezone=timezone)
    lead.sms_consent_at, lead.sms_consent_text, lead.sms_consent_phone = START - timedelta(days=9), "Text me.", phone
    db.session.commit()
    return lead


def tick(app: Flask, at: datetime) -> int:
    """One worker run: queue the due SMS reminders, then send what is pending."""
    with clock.frozen_at(at):
        queued = send_due_sms_reminders(db.session, app.config, at)
        with app.test_request_context():
            callback = public_url("sms.status")
        return queued + sms.deliver_due(db.session, app.config, at, callback)


def signed_post(client: Any, app: Flask, endpoint: str, params: dict[str, str], *, token: str = AUTH_TOKEN) -> Any:
    with app.test_request_context():
        url = public_url(endpoint)
    signature = RequestValidator(token).compute_signature(url, params)
    path = url.split("://", 1)[1].split("/", 1)[1]
    return client.post(f"/{path}", data=params, headers={"X-Twilio-Signature": signature})


def messages() -> list[SmsMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


# --- sending, exactly once -----------------------------------------------------------------------


def test_a_reminder_goes_through_the_sdk_to_the_provider_with_its_status_callback(
    app: Flask, world: BookingWorld, provider: FakeTwilio
) -> None:
    make_appointment(world, consented_lead(world), start=START, booked_at=START - timedelta(days=3))
    assert tick(app, START - 24 * H + M) == 2  # one claimed, one sent
    assert tick(app, START - 23 * H) == 0
    [sent] = provider.messages
    assert sent["To"] == PHONE and sent["From"] == twilio_settings("")["TWILIO_FROM"]
    assert "Reply YES to confirm" in sent["Body"] and "10:00 AM" in sent["Body"]
    assert sent["StatusCallback"].endswith("/sms/status")
    [row] = messages()
    assert row.status == SmsStatus.SENT and row.provider_sid == sent["sid"] and row.provider_status == "queued"


def test_an_sms_reminder_reaches_the_fake_provider_once_with_two_workers(
    app: Flask, world: BookingWorld, provider: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        lead = consented_lead(world, phone=f"+1212555010{i}")
        make_appointment(world, lead, start=START + i * H, booked_at=START - timedelta(days=3))
    db.session.commit()
    # Both workers read the same candidates (and the same pending texts) before either claims.
    reads, sends = threading.Barrier(2, timeout=30), threading.Barrier(2, timeout=30)
    claim_and_notify, due_ids = sms_reminders._claim_and_notify, sms.due_ids

    def held_claims(session: Any, *args: Any) -> int:
        session.commit()
        reads.wait()
        return int(claim_and_notify(session, *args))

    def held_due(session: Any, now: datetime) -> list[int]:
        ids = due_ids(session, now)
        sends.wait()
        return ids

    monkeypatch.setattr(sms_reminders, "_claim_and_notify", held_claims)
    monkeypatch.setattr(sms, "due_ids", held_due)
    at = START + 2 * H - 24 * H + M  # all three 24 h reminders are due
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                counts.append(tick(app, at))
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with clock.frozen_at(at):
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    assert sorted(m["To"] for m in provider.messages) == ["+12125550100", "+12125550101", "+12125550102"]
    assert sum(counts) == 6  # 3 reminders claimed + 3 texts sent, split between the two workers
    assert [m.status for m in messages()] == [SmsStatus.SENT] * 3


def test_without_provider_keys_texts_are_kept_in_the_outbox(app: Flask, world: BookingWorld, make_user: Any) -> None:
    make_appointment(world, consented_lead(world), start=START, booked_at=START - timedelta(days=3))
    assert tick(app, START - 20 * H) == 1
    [row] = messages()
    assert row.status == SmsStatus.STORED and row.to_number == PHONE and "Reply STOP" in row.body
    page = _logged_in(app, make_user("admin")).get("/admin/outbox/sms").get_data(as_text=True)
    assert PHONE in page and "stored" in page


def test_no_text_without_consent_or_for_a_number_changed_since(app: Flask, world: BookingWorld) -> None:
    make_appointment(world, make_lead(world, phone=PHONE), start=START, booked_at=START - timedelta(days=3))
    changed = consented_lead(world, phone="+12125550111")
    changed.phone_e164 = "+12125550112"
    db.session.commit()
    make_appointment(world, changed, start=START + H, booked_at=START - timedelta(days=3))
    assert tick(app, START - 20 * H) == 0
    assert messages() == []


# --- STOP / START / YES, signatures, delivery callbacks -------------------------------------------------------


def test_a_stop_stops_further_sms_and_start_resumes_them(
    app: Flask, client: Any, world: BookingWorld, provider: FakeTwilio
) -> None:
    make_appointment(world, consented_lead(world), start=START, booked_at=START - timedelta(days=3))
    make_appointment(world, make_lead(world, phone=None), start=START + 3 * H)  # another lead, no phone
    tick(app, START - 24 * H + M)
    assert len(provider.messages) == 1
    response = signed_post(client, app, "sms.inbound", {"From": PHONE, "To": "+15005550006", "Body": " stop "})
    assert response.status_code == 200 and "<Response" in response.get_data(as_text=True)
    assert db.session.get(SmsOptOut, PHONE) is not None
    tick(app, START - H + M)  # the 1 h reminder: claimed, not sent
    assert len(provider.messages) == 1

    signed_post(client, app, "sms.inbound", {"From": PHONE, "To": "+15005550006", "Body": "START"})
    db.session.expire_all()
    assert db.session.get(SmsOptOut, PHONE) is None


def test_a_forged_inbound_request_is_refused_and_changes_nothing(app: Flask, client: Any, provider: FakeTwilio) -> None:
    params = {"From": PHONE, "To": "+15005550006", "Body": "STOP"}
    assert client.post("/sms/inbound", data=params).status_code == 403  # no signature
    assert signed_post(client, app, "sms.inbound", params, token="not-our-token").status_code == 403
    forged = {**params, "From": "+12125550199"}  # signed for one number, posted for another
    with app.test_request_context():
        url = public_url("sms.inbound")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    assert client.post("/sms/inbound", data=forged, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert client.post("/sms/status", data={"MessageSid": "SMx", "MessageStatus": "failed"}).status_code == 403
    assert db.session.scalars(select(SmsOptOut)).all() == []


def test_delivery_status_callbacks_are_recorded(
    app: Flask, client: Any, world: BookingWorld, provider: FakeTwilio
) -> None:
    make_appointment(world, consented_lead(world), start=START, booked_at=START - timedelta(days=3))
    tick(app, START - 20 * H)
    sid = provider.messages[0]["sid"]
    assert signed_post(client, app, "sms.status", {"MessageSid": sid, "MessageStatus": "sent"}).status_code == 204
    assert messages()[0].status == SmsStatus.SENT and messages()[0].provider_status == "sent"
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert signed_post(client, app, "sms.status", params).status_code == 204
    row = messages()[0]
    assert row.status == SmsStatus.UNDELIVERED and row.error == "30003"


def test_replying_yes_confirms_attendance(app: Flask, client: Any, world: BookingWorld, provider: FakeTwilio) -> None:
    appt = make_appointment(world, consented_lead(world), start=START, booked_at=START - timedelta(days=3))
    tick(app, START - 20 * H)
    with clock.frozen_at(START - 19 * H):
        response = signed_post(client, app, "sms.inbound", {"From": PHONE, "To": "+15005550006", "Body": "Yes!"})
    assert "your closer knows you will be there" in response.get_data(as_text=True)
    db.session.refresh(appt)
    assert appt.prospect_confirmed_at == START - 19 * H


# --- quiet hours across a DST change -------------------------------------------------------------------------


def test_quiet_hours_are_respected_across_a_dst_change(app: Flask, world: BookingWorld) -> None:
    # New York springs forward on Sunday 14 March 2027. A call at 08:30 EDT (12:30 UTC) on that Sunday:
    # 24 h earlier is Saturday 12:30 UTC = 07:30 EST, inside the quiet hours (a constant offset would
    # say 08:30). The text goes on Friday at 20:45 EST (Saturday 01:45 UTC) instead.
    call = datetime(2027, 3, 14, 12, 30, tzinfo=UTC)
    appt = make_appointment(world, consented_lead(world), start=call, booked_at=call - timedelta(days=7))
    friday_2045 = datetime(2027, 3, 13, 1, 45, tzinfo=UTC)
    assert tick(app, friday_2045 - M) == 0
    assert tick(app, friday_2045 + M) == 1
    assert tick(app, call - 24 * H) == 0  # not again at the naive time
    [text] = messages()
    assert text.kind == "reminder_24h"
    # The 1 h reminder is due at 07:30 EDT: quiet, and 20:45 the evening before is far too early: skipped.
    assert tick(app, call - H + M) == 1  # claimed (considered) ...
    assert len(messages()) == 1  # ... and nothing queued
    db.session.refresh(appt)
    assert appt.sms_1h_at == call - H + M


def test_the_sms_claims_are_on_the_appointment(world: BookingWorld) -> None:
    assert Appointment.sms_24h_at is not None and Appointment.sms_1h_at is not None
