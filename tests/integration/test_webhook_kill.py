"""A worker killed (SIGKILL, a real process) in the middle of a delivery: the event is redelivered, same id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.extensions import db
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.delivery import deliver_due
from closerhub.webhooks.models import DeliveryStatus, WebhookDelivery
from closerhub.webhooks.service import create_endpoint
from tests.integration import webhook_worker
from tests.integration.booking_setup import book, frozen, setting
from tests.integration.webhook_receiver import Receiver, serve
from tests.processes import fresh_processes

__all__ = ["frozen", "setting"]  # fixtures


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver(hang=threading.Event()))


def test_a_worker_killed_mid_delivery_leads_to_a_redelivery_with_the_same_webhook_id(
    app: Flask, setting: dict[str, Any], receiver: Receiver
) -> None:
    _endpoint, receiver.secret = create_endpoint(
        db.session,
        setting["owner"].business_id,
        NewEndpoint(url=receiver.url, events=("appointment.booked",)),
        now=clock.utcnow(),
    )
    book(setting["offer"])
    db.session.commit()  # nothing of ours holds a lock while the worker runs
    # its own process (forked from one that imported the app once: tests.processes), killed for real
    worker = fresh_processes().Process(target=webhook_worker.main, args=(app.config["SQLALCHEMY_DATABASE_URI"],))
    worker.start()
    try:
        assert receiver.got_one.wait(60), f"the worker never delivered (exit code {worker.exitcode})"
        worker.kill()  # SIGKILL while the receiver holds the request: no answer was recorded
        worker.join(10)
    finally:
        if worker.is_alive():
            worker.kill()
    hung = receiver.hang
    receiver.hang = None
    assert hung is not None
    hung.set()
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    time.sleep(2.1)  # the killed worker's 2-second lease ends
    wall = datetime.now(UTC)  # the receiver checks webhook-timestamp against the real time
    with clock.frozen_at(wall):
        assert deliver_due(db.session, wall) == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.verified is not None and second.verified["type"] == "appointment.booked"
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
