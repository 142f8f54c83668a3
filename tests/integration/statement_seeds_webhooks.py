"""Seeding for ``test_statement_counts.py``: webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from closerhub.extensions import db
from closerhub.secrets_box import seal
from closerhub.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.integration.statement_seeds import NOW, Scene


def _endpoint(s: Scene, i: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        business_id=s.world.business.id,
        url=f"https://hooks{i}.example.com/closerhub",
        description=f"CRM {i}",
        events=["appointment.booked", "lead.created"],
        enabled=True,
        secret_sealed=seal("whsec_c2VjcmV0c2VjcmV0c2VjcmV0"),
        created_at=NOW,
    )
    db.session.add(endpoint)
    return endpoint


def _delivery(s: Scene, endpoint: WebhookEndpoint, i: int, attempts: int) -> None:
    event = WebhookEvent(
        msg_id=f"msg_seed{endpoint.url[8:16]}{i}",
        business_id=s.world.business.id,
        type="lead.created",
        payload={"type": "lead.created", "timestamp": "2026-12-07T09:00:00Z", "data": {"id": i}},
        created_at=NOW - timedelta(minutes=i),
    )
    delivery = WebhookDelivery(
        endpoint=endpoint,
        event=event,
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=NOW + timedelta(minutes=5),
        last_status_code=500,
        created_at=NOW - timedelta(minutes=i),
    )
    db.session.add(delivery)
    db.session.flush()
    for n in range(attempts):
        db.session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                at=NOW - timedelta(minutes=i, seconds=n),
                status_code=500,
                duration_ms=12,
                response_body="boom",
            )
        )


def seed_webhook_endpoints(s: Scene, start: int, n: int) -> None:
    """``n`` more endpoints of the business, each with one delivery (the list shows the last one)."""
    for i in range(start, start + n):
        _delivery(s, _endpoint(s, i), i, attempts=1)
    db.session.commit()


def seed_webhook_deliveries(s: Scene, start: int, n: int) -> None:
    """``n`` more deliveries of the business's first endpoint, two attempts each."""
    endpoint = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).first() or _endpoint(s, 0)
    for i in range(start, start + n):
        _delivery(s, endpoint, i, attempts=2)
    db.session.commit()
