"""Webhook events are written by the transaction that made the change: booked, rescheduled, cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from closerhub import clock
from closerhub.booking import service
from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from closerhub.webhooks.service import create_endpoint, emit, rotate_secret, signing_secrets
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, lead_details, setting

__all__ = ["frozen", "setting"]  # fixtures

ALL_APPOINTMENT_EVENTS = ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]


def _endpoint(business_id: int, events: list[str], url: str = "https://hooks.example.com/in") -> WebhookEndpoint:
    endpoint, _secret = create_endpoint(
        db.session, business_id, NewEndpoint(url=url, events=tuple(events)), now=clock.utcnow()
    )
    db.session.commit()
    return endpoint


def _events() -> list[tuple[str, dict[str, Any]]]:
    db.session.expire_all()
    appointment_events = select(WebhookEvent).where(WebhookEvent.type.like("appointment.%"))
    rows = db.session.scalars(appointment_events.order_by(WebhookEvent.id))
    return [(e.type, e.payload) for e in rows]


def test_booking_rescheduling_and_cancelling_each_record_an_event_with_the_api_resource_as_data(
    setting: dict[str, Any],
) -> None:
    business_id = setting["owner"].business_id
    endpoint = _endpoint(business_id, ALL_APPOINTMENT_EVENTS)
    call = book(setting["offer"])
    service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(3), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    service.cancel(db.session, call, actor=None, actor_label="prospect", reason="Changed my mind", now=NOW)
    events = _events()
    assert [t for t, _p in events] == ALL_APPOINTMENT_EVENTS
    booked, moved, cancelled = (p for _t, p in events)
    assert set(booked) == {"type", "timestamp", "data"} and booked["timestamp"] == "2026-06-01T06:00:00Z"
    assert (booked["data"]["id"], booked["data"]["status"], booked["data"]["start"]) == (
        call.id,
        "booked",
        "2026-06-02T07:00:00Z",
    )
    assert booked["data"]["lead"]["email"] == "paula@example.com"
    assert moved["data"]["start"] == "2026-06-02T10:00:00Z" and moved["data"]["reschedule_count"] == 1
    assert (cancelled["data"]["status"], cancelled["data"]["cancel_reason"]) == ("cancelled", "Changed my mind")
    deliveries = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(d.endpoint_id, d.status, d.attempts) for d in deliveries] == [(endpoint.id, DeliveryStatus.PENDING, 0)] * 3
    assert len({d.event.msg_id for d in deliveries}) == 3


def test_only_enabled_endpoints_of_the_business_subscribed_to_the_type_get_a_delivery(
    setting: dict[str, Any],
) -> None:
    business_id = setting["owner"].business_id
    wanted = _endpoint(business_id, ["appointment.booked"])
    _endpoint(business_id, ["appointment.cancelled"])
    off = _endpoint(business_id, ["appointment.booked"])
    off.enabled = False
    db.session.commit()
    book(setting["offer"])
    db.session.expire_all()
    assert [d.endpoint_id for d in db.session.scalars(select(WebhookDelivery))] == [wanted.id]


def test_a_rolled_back_change_records_no_event_and_no_delivery(setting: dict[str, Any]) -> None:
    business_id = setting["owner"].business_id
    _endpoint(business_id, ALL_APPOINTMENT_EVENTS)
    call = book(setting["offer"])
    before = _events()
    # The change and its event in one transaction, then rolled back (as a failed request would be).
    row = db.session.get(Appointment, call.id)
    emit(db.session, business_id, "appointment.cancelled", {"id": row.id}, now=clock.utcnow())
    db.session.flush()
    db.session.rollback()
    assert _events() == before and len(db.session.scalars(select(WebhookDelivery)).all()) == 1


def test_a_refused_booking_records_no_event(setting: dict[str, Any]) -> None:
    _endpoint(setting["owner"].business_id, ALL_APPOINTMENT_EVENTS)
    book(setting["offer"])
    db.session.commit()
    with pytest.raises(service.SlotUnavailable):
        book(setting["offer"], lead=lead_details(email="late@example.com"))
    db.session.rollback()
    assert [t for t, _p in _events()] == ["appointment.booked"]


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown webhook event type"):
        emit(db.session, 1, "appointment.teleported", {}, now=clock.utcnow())


def test_the_secret_is_sealed_and_a_rotated_one_signs_alongside_the_old_for_a_day(setting: dict[str, Any]) -> None:

    endpoint, secret = create_endpoint(
        db.session,
        setting["owner"].business_id,
        NewEndpoint(url="https://h.example.com", events=("appointment.booked",)),
        now=clock.utcnow(),
    )
    db.session.commit()
    assert secret.startswith("whsec_") and secret not in endpoint.secret_sealed
    assert signing_secrets(endpoint, now=clock.utcnow()) == [secret]
    fresh = rotate_secret(endpoint, now=clock.utcnow())
    db.session.commit()
    assert signing_secrets(endpoint, now=clock.utcnow()) == [fresh, secret]
    with clock.frozen_at(NOW + hours(25)):
        assert signing_secrets(endpoint, now=clock.utcnow()) == [fresh]
