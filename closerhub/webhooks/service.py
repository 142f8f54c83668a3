"""Record webhook events in the caller's transaction (the outbox) and manage endpoints.

``emit`` adds the event and one pending delivery per enabled endpoint subscribed to its type
to the caller's session and never commits, like ``audit.record``: the event exists exactly
when the change that caused it was committed. Like the audit trail it imports nothing from
the feature packages; callers pass ``data`` already in the API resource's shape.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.secrets_box import seal, unseal
from closerhub.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from closerhub.webhooks.payloads import data_for

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign while receivers switch over


def _utc_z(value: datetime) -> str:
    # The API's instant format ("2026-12-07T09:00:00Z"); not imported from api.schemas, which
    # pulls in feature packages this low-level module must not depend on.
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def emit(session: Session, business_id: int, type: str, data: Any) -> WebhookEvent:
    """Add event ``type`` for ``business_id`` and its deliveries to ``session`` (the caller commits).

    ``data`` is the resource as a dict, or the model object itself, turned into the API shape
    by the serializer its API module registered (``webhooks.payloads``).
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    now = clock.utcnow()
    event = WebhookEvent(
        msg_id=f"msg_{uuid.uuid4().hex}",
        business_id=business_id,
        type=type,
        payload={"type": type, "timestamp": _utc_z(now), "data": data_for(type, data)},
        created_at=now,
    )
    session.add(event)
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.business_id == business_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
    ).all()
    for endpoint in endpoints:
        if type in (endpoint.events or []):
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event=event,
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return event


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def create_endpoint(
    session: Session, business_id: int, *, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint (the caller commits); returns it and its secret, shown once."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        business_id=business_id,
        url=url,
        events=sorted(set(events)),
        description=description,
        enabled=True,
        secret_sealed=seal(secret),
        created_at=clock.utcnow(),
    )
    session.add(endpoint)
    return endpoint, secret


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Give ``endpoint`` a new secret; the old one keeps signing for ``ROTATION_OVERLAP``."""
    secret = new_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_expires_at = clock.utcnow() + ROTATION_OVERLAP
    endpoint.secret_sealed = seal(secret)
    return secret


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one during the overlap."""
    found = [unseal(endpoint.secret_sealed)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > clock.utcnow():
        found.append(unseal(endpoint.previous_secret_sealed))
    return found
