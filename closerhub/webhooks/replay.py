"""The delivery log's actions beyond a retry: replay past events to an endpoint, send it a test event.

A replay adds a new delivery of each past event of the endpoint's types since an instant: the
same event, so the same ``webhook-id`` as its first delivery (a receiver that already has it
can drop the copy). A test event is a ``webhook.test`` ping for one endpoint only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from closerhub.webhooks.service import TEST_EVENT, require_enabled, utc_z

REPLAY_MAX = 10_000  # events one replay may queue; a longer outage is replayed in several steps


def _queue(session: Session, endpoint: WebhookEndpoint, event: WebhookEvent, now: datetime) -> WebhookDelivery:
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event=event,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    return delivery


def replay_since(session: Session, endpoint: WebhookEndpoint, since: datetime, now: datetime) -> int:
    """Queue a new delivery of every event of the endpoint's types since ``since``; returns how many.

    The caller commits. At most ``REPLAY_MAX`` events, oldest first (the answer's count says
    how many were queued; replay again from the last one's time for the rest).
    """
    if since.tzinfo is None or since.astimezone(UTC) > now:
        message = _("Choose a time in the past.")
        raise ValidationError(message, field_errors={"since": message})
    require_enabled(endpoint)
    events = session.scalars(
        select(WebhookEvent)
        .where(
            WebhookEvent.business_id == endpoint.business_id,
            WebhookEvent.type.in_(list(endpoint.events or [])),
            WebhookEvent.created_at >= since,
        )
        .order_by(WebhookEvent.id)
        .limit(REPLAY_MAX)
    ).all()
    for event in events:
        _queue(session, endpoint, event, now)
    return len(events)


def send_test_event(session: Session, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for ``endpoint`` alone (the caller commits); the worker sends it."""
    require_enabled(endpoint)
    event = WebhookEvent(
        msg_id=f"msg_{uuid.uuid4().hex}",
        business_id=endpoint.business_id,
        type=TEST_EVENT,
        payload={
            "type": TEST_EVENT,
            "timestamp": utc_z(now),
            "data": {"endpoint_id": endpoint.id, "message": "A test event from CloserHub."},
        },
        created_at=now,
    )
    session.add(event)
    return _queue(session, endpoint, event, now)


def attempts_by_delivery(session: Session, deliveries: list[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    """Every attempt of these deliveries, newest first, in one query (for the delivery log page)."""
    found: dict[int, list[WebhookAttempt]] = defaultdict(list)
    if not deliveries:
        return found
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
        .order_by(WebhookAttempt.id.desc())
    ):
        found[attempt.delivery_id].append(attempt)
    return found


def last_delivery_by_endpoint(session: Session, endpoints: list[WebhookEndpoint]) -> dict[int, WebhookDelivery]:
    """Each endpoint's latest delivery, in one query (for the Integrations list)."""
    if not endpoints:
        return {}
    latest = (
        select(func.max(WebhookDelivery.id))
        .where(WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))
        .group_by(WebhookDelivery.endpoint_id)
    )
    return {d.endpoint_id: d for d in session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(latest)))}
