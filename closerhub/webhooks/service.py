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

from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload, object_session

from closerhub import outbound
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.core.i18n import _
from closerhub.db import get_by_id
from closerhub.secrets_box import seal, unseal
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from closerhub.webhooks.payloads import data_for

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
URL_MAX = 2000
DESCRIPTION_MAX = 300
ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign while receivers switch over
TEST_EVENT = "webhook.test"  # the ping of "send a test event": delivered to one endpoint, never subscribed
_ENDPOINTS_KEY = "webhooks.enabled_endpoints"  # session.info: business id -> [(endpoint id, its types)]


def utc_z(value: datetime) -> str:
    # The API's instant format ("2026-12-07T09:00:00Z"); not imported from api.schemas, which
    # pulls in feature packages this low-level module must not depend on.
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def emit(session: Session, business_id: int, type: str, data: Any, *, now: datetime) -> WebhookEvent | None:
    """Add event ``type`` for ``business_id`` and its deliveries to ``session`` (the caller commits).

    ``data`` is the resource as a dict, or the model object itself, turned into the API shape
    by the serializer its API module registered (``webhooks.payloads``). A business with no
    enabled endpoint subscribed to ``type`` gets no event: nothing could ever deliver or replay it,
    and a booking then costs one statement for webhooks (the endpoints read), not two.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    endpoint_ids = [endpoint_id for endpoint_id, types in _enabled_endpoints(session, business_id) if type in types]
    if not endpoint_ids:
        return None
    event = WebhookEvent(
        msg_id=f"msg_{uuid.uuid4().hex}",
        business_id=business_id,
        type=type,
        payload={"type": type, "timestamp": utc_z(now), "data": data_for(type, data)},
        created_at=now,
    )
    session.add(event)
    for endpoint_id in endpoint_ids:
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event=event,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return event


def _enabled_endpoints(session: Session, business_id: int) -> list[tuple[int, frozenset[str]]]:
    """The business's enabled endpoints and their types, read once per transaction.

    A request that emits several events (a booking with its lead, a batch import) reads them
    once; the memo lives in ``session.info`` and is dropped when the transaction ends and when
    an endpoint of this session is added, enabled, disabled or deleted (``forget_endpoints``).
    """
    memo: dict[int, list[tuple[int, frozenset[str]]]] = session.info.setdefault(_ENDPOINTS_KEY, {})
    if business_id not in memo:
        memo[business_id] = [
            (endpoint_id, frozenset(types or []))
            for endpoint_id, types in session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                    WebhookEndpoint.business_id == business_id,
                    WebhookEndpoint.enabled.is_(True),
                    WebhookEndpoint.deleted_at.is_(None),
                )
            )
        ]
    return memo[business_id]


def has_enabled_endpoint(business_id: Any) -> Any:
    """A SQL condition: the business (a column or value) has an enabled endpoint. A caller that reads it
    with its own query and finds none tells ``note_no_endpoints``, sparing ``emit`` its read."""
    return (
        select(WebhookEndpoint.id)
        .where(
            WebhookEndpoint.business_id == business_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
        .exists()
    )


def note_no_endpoints(session: Session, business_id: int) -> None:
    """Record, for this transaction, that ``business_id`` has no enabled endpoint (read with
    ``has_enabled_endpoint`` in this transaction): its events then cost no statement."""
    memo: dict[int, list[tuple[int, frozenset[str]]]] = session.info.setdefault(_ENDPOINTS_KEY, {})
    memo[business_id] = []


def forget_endpoints(session: Session | None) -> None:
    """Drop the memo of enabled endpoints (an endpoint changed, or the transaction ended)."""
    if session is not None:
        session.info.pop(_ENDPOINTS_KEY, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    forget_endpoints(session)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def create_endpoint(
    session: Session, business_id: int, endpoint: NewEndpoint, *, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint as given (checked first by ``clean_endpoint_input``; the caller commits);
    returns it and its secret, shown once."""
    secret = new_secret()
    row = WebhookEndpoint(
        business_id=business_id,
        url=endpoint.url,
        events=sorted(set(endpoint.events)),
        description=endpoint.description,
        enabled=True,
        secret_sealed=seal(secret),
        created_at=now,
    )
    session.add(row)
    forget_endpoints(session)
    return row, secret


def rotate_secret(endpoint: WebhookEndpoint, *, now: datetime) -> str:
    """Give ``endpoint`` a new secret; the old one keeps signing for ``ROTATION_OVERLAP``."""
    secret = new_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_sealed = seal(secret)
    return secret


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one during the overlap."""
    found = [unseal(endpoint.secret_sealed)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > now:
        found.append(unseal(endpoint.previous_secret_sealed))
    return found


def clean_endpoint_input(endpoint: NewEndpoint) -> NewEndpoint:
    """The endpoint checked and normalised; a ValidationError names every bad field (nothing is stored)."""
    errors: dict[str, str] = {}
    text = endpoint.url.strip()
    if len(text) > URL_MAX:
        errors["url"] = _("Use an address of at most %(n)d characters.", n=URL_MAX)
    else:
        try:
            text = outbound.check_url(text)
        except outbound.OutboundError as exc:
            errors["url"] = str(exc)
        # Plain http only where private addresses are allowed too: development and tests.
        if "url" not in errors and not text.startswith("https://") and not outbound.allow_private():
            errors["url"] = _("Use an address that starts with https://.")
    chosen = endpoint.events
    if not chosen or any(e not in EVENT_TYPES for e in chosen):
        errors["events"] = _("Choose one or more of the event types: %(types)s.", types=", ".join(EVENT_TYPES))
    note = endpoint.description.strip()
    if len(note) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(n)d characters.", n=DESCRIPTION_MAX)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)
    return NewEndpoint(url=text, events=tuple(sorted(set(chosen))), description=note)


def find_endpoint(session: Session, business_id: int | None, endpoint_id: int) -> WebhookEndpoint:
    """The business's live endpoint with this id; another business's or a deleted one is a 404."""
    endpoint = get_by_id(session, WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.business_id != business_id or endpoint.deleted_at is not None:
        raise NotFound(_("Webhook endpoint not found."))
    return endpoint


def list_endpoints(session: Session, business_id: int | None) -> list[WebhookEndpoint]:
    """The business's live endpoints, oldest first."""
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.business_id == business_id, WebhookEndpoint.deleted_at.is_(None))
            .order_by(WebhookEndpoint.id)
        )
    )


def delete_endpoint(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Stop sending to ``endpoint``; its delivery log is kept (the caller commits)."""
    endpoint.deleted_at = now
    endpoint.enabled = False
    forget_endpoints(object_session(endpoint))


def require_enabled(endpoint: WebhookEndpoint) -> None:
    """Conflict unless ``endpoint`` is enabled: a disabled one is sent nothing (retry, replay, test)."""
    if not endpoint.enabled:
        raise Conflict(_("Enable the endpoint first: a disabled endpoint is sent nothing."), code="endpoint_disabled")


def set_enabled(endpoint: WebhookEndpoint, enabled: bool) -> None:
    """Pause or resume sending to ``endpoint`` (the caller commits).

    A paused endpoint's deliveries wait (the worker skips them) and it gets no new ones;
    enabling it again clears its failure record, so it is not disabled again at the next error.
    """
    endpoint.enabled = enabled
    if enabled:
        endpoint.failing_since = None
        endpoint.disabled_reason = None
    else:
        endpoint.disabled_reason = endpoint.disabled_reason or "owner"
    forget_endpoints(object_session(endpoint))


def deliveries_of(session: Session, endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, with their events (one query)."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .options(joinedload(WebhookDelivery.event))
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def retry_delivery(session: Session, endpoint: WebhookEndpoint, delivery_id: int, *, now: datetime) -> WebhookDelivery:
    """Make one delivery due now (same event, same ``webhook-id``); the worker sends it (the caller commits)."""
    delivery = get_by_id(session, WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(_("Delivery not found."))
    require_enabled(endpoint)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    return delivery
