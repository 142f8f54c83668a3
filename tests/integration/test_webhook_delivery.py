"""Webhook delivery end to end: the worker POSTs signed events to a real local receiver that verifies them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from closerhub import clock
from closerhub.booking import service
from closerhub.extensions import db
from closerhub.outcomes import service as outcomes
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.delivery import BACKOFF, DISABLE_AFTER, deliver_due, headers_for
from closerhub.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from closerhub.webhooks.service import create_endpoint, emit
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, setting
from tests.integration.test_outcomes import WON_4800
from tests.integration.webhook_receiver import Receiver, serve

__all__ = ["frozen", "setting"]  # fixtures

TYPES = ["appointment.booked", "appointment.rescheduled", "appointment.cancelled", "outcome.recorded"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


def _subscribe(receiver: Receiver, business_id: int, events: list[str] = TYPES) -> int:
    endpoint, secret = create_endpoint(
        db.session, business_id, NewEndpoint(url=receiver.url, events=tuple(events)), now=clock.utcnow()
    )
    db.session.commit()
    receiver.secret = secret
    return endpoint.id


def _wall() -> datetime:
    # The receiver checks webhook-timestamp against the real time (5 minutes' tolerance), as a
    # real receiver does; events recorded at the fixed NOW are delivered at the real time.
    return datetime.now(UTC).replace(microsecond=0)


def _deliver(at: datetime) -> int:
    with clock.frozen_at(at):
        return deliver_due(db.session, at)


def test_a_booking_a_reschedule_a_cancel_and_an_outcome_arrive_signed_and_verified(
    setting: dict[str, Any], receiver: Receiver
) -> None:
    _subscribe(receiver, setting["owner"].business_id)
    call = book(setting["offer"])
    service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    assert _deliver(_wall()) == 2
    service.cancel(db.session, call, actor=None, actor_label="prospect", reason="No budget", now=NOW)
    second = book(setting["offer"])
    after_call = second.ends_at + timedelta(minutes=5)
    with clock.frozen_at(after_call):
        outcomes.record_outcome(db.session, setting["closer"], second.id, WON_4800, now=clock.utcnow())
    assert _deliver(_wall()) == 3
    payloads = [r.verified for r in receiver.received]
    assert all(p is not None for p in payloads), "every request verifies with the endpoint's secret"
    assert [p["type"] for p in payloads] == [*TYPES[:3], "appointment.booked", "outcome.recorded"]
    assert payloads[0]["data"]["id"] == call.id and payloads[4]["data"]["appointment_id"] == second.id
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 5
    db.session.expire_all()
    statuses = db.session.scalars(select(WebhookDelivery.status)).all()
    assert statuses == [DeliveryStatus.SUCCEEDED] * 5
    attempt = db.session.scalars(select(WebhookAttempt)).first()
    assert attempt.status_code == 200 and len(attempt.response_body) == 2048  # kept, truncated


def test_a_receiver_answering_500_then_200_gets_the_same_webhook_id_twice(
    setting: dict[str, Any], receiver: Receiver
) -> None:
    _subscribe(receiver, setting["owner"].business_id)
    receiver.statuses = [500]
    book(setting["offer"])
    wall = _wall()
    assert _deliver(wall) == 1
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.next_attempt_at == wall + BACKOFF[0]
    assert _deliver(wall + BACKOFF[0] - timedelta(seconds=1)) == 0  # not yet due
    assert _deliver(wall + BACKOFF[0]) == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    codes = db.session.scalars(select(WebhookAttempt.status_code).order_by(WebhookAttempt.id)).all()
    assert codes == [500, 200]


def test_a_tampered_body_another_endpoints_secret_or_an_old_timestamp_fail_verification() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    other = "whsec_" + base64.b64encode(b"o" * 24).decode()
    body = json.dumps({"type": "appointment.booked", "data": {"id": 1}}).encode()
    now = datetime.now().astimezone()  # the receiver checks against the real time, as a receiver would
    headers = headers_for("msg_1", body, (secret,), now)
    assert Webhook(secret).verify(body, headers)["data"] == {"id": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"id": 1', b'"id": 2'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers_for("msg_1", body, (secret,), now - timedelta(minutes=10)))
    both = headers_for("msg_1", body, (other, secret), now)  # during a rotation both secrets sign
    assert Webhook(secret).verify(body, both) and Webhook(other).verify(body, both)


def test_a_private_address_is_refused_when_the_configuration_says_so(
    app: Any, setting: dict[str, Any], receiver: Receiver
) -> None:
    _subscribe(receiver, setting["owner"].business_id)
    book(setting["offer"])
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    try:
        assert _deliver(NOW) == 1
    finally:
        app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    assert receiver.received == []
    attempt = db.session.scalars(select(WebhookAttempt)).one()
    assert attempt.status_code is None and "private or local" in attempt.error


def test_a_receiver_that_keeps_failing_gets_its_delivery_failed_after_a_day_and_is_disabled_after_days(
    setting: dict[str, Any], receiver: Receiver
) -> None:
    endpoint_id = _subscribe(receiver, setting["owner"].business_id)
    receiver.statuses = [503] * 20
    book(setting["offer"])
    at = _wall()
    for wait in (timedelta(0), *BACKOFF):
        at += wait
        assert _deliver(at) == 1
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert timedelta(hours=24) < at - _wall() < timedelta(hours=30)  # about a day of retries
    assert _deliver(at + timedelta(days=1)) == 0
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.enabled and endpoint.failing_since is not None
    emit(db.session, setting["owner"].business_id, "appointment.booked", {"id": 1}, now=clock.utcnow())
    db.session.commit()
    assert _deliver(endpoint.failing_since + DISABLE_AFTER) == 1
    db.session.expire_all()
    assert not db.session.get(WebhookEndpoint, endpoint_id).enabled
