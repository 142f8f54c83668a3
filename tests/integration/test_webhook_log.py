"""The delivery log: attempts shown, retry, replay since a time (same webhook-ids), a test event; page and API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.delivery import deliver_due
from closerhub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from closerhub.webhooks.service import create_endpoint, emit
from tests.conftest import _logged_in
from tests.integration.test_api_accounts import bearer
from tests.integration.webhook_receiver import Receiver, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


def _subscribe(receiver: Receiver, business_id: int, events: list[str]) -> WebhookEndpoint:
    endpoint, secret = create_endpoint(
        db.session, business_id, NewEndpoint(url=receiver.url, events=tuple(events)), now=clock.utcnow()
    )
    db.session.commit()
    receiver.secret = secret
    return endpoint


def _deliver() -> int:
    # The receiver checks the timestamp against the real time; a second ahead, what was just queued is due.
    now = datetime.now(UTC) + timedelta(seconds=1)
    with clock.frozen_at(now):
        return deliver_due(db.session, now)


def _emit_at(at: datetime, business_id: int, type: str, data: dict[str, object]) -> None:
    with clock.frozen_at(at):
        emit(db.session, business_id, type, data, now=clock.utcnow())
        db.session.commit()


def test_the_log_shows_each_attempt_and_retry_sends_the_same_webhook_id_again(
    app: Flask, business_user: User, receiver: Receiver
) -> None:
    endpoint = _subscribe(receiver, business_user.business_id, ["lead.created"])
    emit(db.session, business_user.business_id, "lead.created", {"id": 5}, now=clock.utcnow())
    db.session.commit()
    receiver.statuses = [500]
    assert _deliver() == 1
    client = _logged_in(app, business_user)
    page = client.get(f"/integrations/{endpoint.id}").get_data(as_text=True)
    assert "lead.created" in page and "<code>500</code>" in page and "boom" in page and " ms" in page
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert client.post(f"/integrations/{endpoint.id}/deliveries/{delivery.id}/retry").status_code == 302
    assert _deliver() == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and second.verified is not None
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    page = client.get(f"/integrations/{endpoint.id}").get_data(as_text=True)
    assert page.count('data-testid="attempt"') == 2 and "<code>200</code>" in page
    assert client.post(f"/integrations/{endpoint.id}/deliveries/99999/retry").status_code == 404


def test_a_test_event_goes_to_that_endpoint_only_signed(app: Flask, business_user: User, receiver: Receiver) -> None:
    endpoint = _subscribe(receiver, business_user.business_id, ["lead.created"])
    _other, _ = create_endpoint(
        db.session,
        business_user.business_id,
        NewEndpoint(url=receiver.url + "/other", events=("lead.created",)),
        now=clock.utcnow(),
    )
    db.session.commit()
    client = _logged_in(app, business_user)
    assert client.post(f"/integrations/{endpoint.id}/test").status_code == 302
    assert _deliver() == 1
    [got] = receiver.received
    assert got.verified is not None and got.verified["type"] == "webhook.test"
    assert got.verified["data"]["endpoint_id"] == endpoint.id
    assert db.session.scalars(select(WebhookDelivery.endpoint_id)).all() == [endpoint.id]  # not _other
    answer = client.post(f"/api/v1/webhooks/{endpoint.id}/test", headers=bearer(business_user))
    assert answer.status_code == 202 and answer.json["event_type"] == "webhook.test"


def test_replay_since_sends_past_events_of_the_subscribed_types_again_with_their_ids(
    app: Flask, business_user: User, receiver: Receiver
) -> None:
    business_id = business_user.business_id
    endpoint = _subscribe(receiver, business_id, ["lead.created", "appointment.booked"])
    _subscribe(Receiver(url="http://127.0.0.1:9/x"), business_id, ["outcome.recorded"])
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    _emit_at(base, business_id, "lead.created", {"id": 1})  # before "since": not replayed
    _emit_at(base + timedelta(hours=2), business_id, "lead.created", {"id": 2})
    _emit_at(base + timedelta(hours=2), business_id, "outcome.recorded", {"id": 3})  # not this endpoint's type
    _emit_at(base + timedelta(hours=2, minutes=5), business_id, "appointment.booked", {"id": 4})
    db.session.execute(  # the first deliveries are done
        WebhookDelivery.__table__.update().values(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
    )
    db.session.commit()
    since = (base + timedelta(hours=1)).isoformat()
    answer = app.test_client().post(
        f"/api/v1/webhooks/{endpoint.id}/replay", json={"since": since}, headers=bearer(business_user)
    )
    assert answer.status_code == 202 and answer.json == {"count": 2}
    assert _deliver() == 2
    ids = {r.headers["webhook-id"] for r in receiver.received}
    originals = db.session.scalars(
        select(WebhookEvent.msg_id).where(WebhookEvent.type.in_(["lead.created", "appointment.booked"]))
    ).all()
    assert len(ids) == 2 and ids <= set(originals)
    assert all(r.verified is not None for r in receiver.received)


def test_bad_replay_input_changes_nothing(app: Flask, business_user: User, receiver: Receiver) -> None:
    endpoint = _subscribe(receiver, business_user.business_id, ["lead.created"])
    emit(db.session, business_user.business_id, "lead.created", {"id": 1}, now=clock.utcnow())
    db.session.commit()
    api = app.test_client()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for body in ({"since": future}, {"since": "2026-01-01T10:00:00"}, {"since": "yesterday"}, {}):
        answer = api.post(f"/api/v1/webhooks/{endpoint.id}/replay", json=body, headers=bearer(business_user))
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json", (body, answer.json)
    client = _logged_in(app, business_user)
    for since in ("", "not a time", (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")):
        page = client.post(f"/integrations/{endpoint.id}/replay", data={"since": since})
        assert page.status_code == 422 and 'class="error"' in page.get_data(as_text=True), since
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 1
    stranger = api.post(
        f"/api/v1/webhooks/{endpoint.id}/replay",
        json={"since": "2026-01-01T10:00:00Z"},
        headers=bearer(_other_business(app)),
    )
    assert stranger.status_code == 404


def _other_business(app: Flask) -> User:
    from tests.conftest import UserFactory

    return UserFactory(app)("business", email="stranger@example.com")


def test_a_disabled_endpoint_gets_no_test_event_nor_replay_and_nothing_is_sent_to_it(
    app: Flask, business_user: User, receiver: Receiver
) -> None:
    endpoint = _subscribe(receiver, business_user.business_id, ["lead.created"])
    emit(db.session, business_user.business_id, "lead.created", {"id": 1}, now=clock.utcnow())
    endpoint.enabled = False
    db.session.commit()
    assert _deliver() == 0 and receiver.received == []  # its waiting delivery waits
    api = app.test_client()
    test = api.post(f"/api/v1/webhooks/{endpoint.id}/test", headers=bearer(business_user))
    assert test.status_code == 409 and test.json["code"] == "endpoint_disabled"
    replay = api.post(
        f"/api/v1/webhooks/{endpoint.id}/replay", json={"since": "2026-01-01T00:00:00Z"}, headers=bearer(business_user)
    )
    assert replay.status_code == 409
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    retry = api.post(f"/api/v1/webhooks/{endpoint.id}/deliveries/{delivery.id}/retry", headers=bearer(business_user))
    assert retry.status_code == 409
    web = _logged_in(app, business_user)
    page = web.post(f"/integrations/{endpoint.id}/deliveries/{delivery.id}/retry", follow_redirects=True)
    assert "Enable the endpoint first" in page.get_data(as_text=True)
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 1
    web.post(f"/integrations/{endpoint.id}/enable")
    assert _deliver() == 1 and len(receiver.received) == 1
