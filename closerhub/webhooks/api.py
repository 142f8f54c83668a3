"""API v1 routes of outbound webhooks: endpoints, secret rotation, the delivery log, retry."""

from __future__ import annotations

from flask import Response

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route, json_response
from closerhub.commands import errors_for
from closerhub.core.errors import PermissionDenied
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.webhooks import replay, service
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import WebhookDelivery, WebhookEndpoint
from closerhub.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    ReplayIn,
    ReplayOut,
    SecretOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
)


def webhook_out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
    )


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event.msg_id,
        event_type=delivery.event.type,
        status=delivery.status.value,
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        next_attempt_at=delivery.next_attempt_at,
    )


def _business_id() -> int:
    business_id = current_api_user().business_id
    if business_id is None:  # a business account not (yet) in a business
        raise PermissionDenied(_("Only members of a business can manage its webhooks."))
    return business_id


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return service.find_endpoint(db.session, _business_id(), endpoint_id)


@api_route(
    "GET", "/webhooks", summary="Your webhook endpoints", auth=("business",), response=WebhookList, tags=("webhooks",)
)
def list_webhooks() -> WebhookList:
    return WebhookList(data=[webhook_out(e) for e in service.list_endpoints(db.session, _business_id())])


@api_route(
    "POST",
    "/webhooks",
    summary="Add a webhook endpoint",
    auth=("business",),
    body=WebhookIn,
    response=WebhookCreatedOut,
    status=201,
    tags=("webhooks",),
)
def create_webhook(body: WebhookIn) -> Response:
    """The response carries the signing `secret`, shown only this once."""
    asked = NewEndpoint(url=body.url, events=tuple(body.events), description=body.description or "")
    with errors_for(NewEndpoint, "api"):
        endpoint, secret = service.create_endpoint(
            db.session, _business_id(), service.clean_endpoint_input(asked), now=clock.utcnow()
        )
    db.session.commit()
    created = WebhookCreatedOut(**webhook_out(endpoint).model_dump(), secret=secret)
    return json_response(created.model_dump(mode="json"), 201)


@api_route(
    "DELETE",
    "/webhooks/<int:endpoint_id>",
    summary="Remove a webhook endpoint",
    auth=("business",),
    response=WebhookOut,
    tags=("webhooks",),
)
def delete_webhook(endpoint_id: int) -> WebhookOut:
    endpoint = _endpoint(endpoint_id)
    service.delete_endpoint(endpoint, now=clock.utcnow())
    db.session.commit()
    return webhook_out(endpoint)


@api_route(
    "POST",
    "/webhooks/<int:endpoint_id>/rotate-secret",
    summary="Give an endpoint a new secret (the old one signs too for 24 hours)",
    auth=("business",),
    response=SecretOut,
    tags=("webhooks",),
)
def rotate_webhook_secret(endpoint_id: int) -> SecretOut:
    endpoint = _endpoint(endpoint_id)
    secret = service.rotate_secret(endpoint, now=clock.utcnow())
    db.session.commit()
    return SecretOut(id=endpoint.id, secret=secret)


@api_route(
    "GET",
    "/webhooks/<int:endpoint_id>/deliveries",
    summary="An endpoint's latest deliveries",
    auth=("business",),
    response=DeliveryList,
    tags=("webhooks",),
)
def list_deliveries(endpoint_id: int) -> DeliveryList:
    return DeliveryList(data=[delivery_out(d) for d in service.deliveries_of(db.session, _endpoint(endpoint_id))])


@api_route(
    "POST",
    "/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry",
    summary="Send a delivery again now (same webhook-id)",
    auth=("business",),
    response=DeliveryOut,
    tags=("webhooks",),
    errors=(409,),
)
def retry_webhook_delivery(endpoint_id: int, delivery_id: int) -> DeliveryOut:
    """The worker sends it within seconds; its attempt count goes up by one. 409 if the endpoint is disabled."""
    delivery = service.retry_delivery(db.session, _endpoint(endpoint_id), delivery_id, now=clock.utcnow())
    db.session.commit()
    return delivery_out(delivery)


@api_route(
    "POST",
    "/webhooks/<int:endpoint_id>/replay",
    summary="Send again every event of the endpoint's types since an instant (same webhook-ids)",
    auth=("business",),
    body=ReplayIn,
    response=ReplayOut,
    status=202,
    tags=("webhooks",),
    errors=(409,),
)
def replay_webhook_events(endpoint_id: int, body: ReplayIn) -> ReplayOut:
    """New deliveries of the past events, oldest first; each keeps its event's `webhook-id`. 409 if disabled."""
    count = replay.replay_since(db.session, _endpoint(endpoint_id), body.since, clock.utcnow())
    db.session.commit()
    return ReplayOut(count=count)


@api_route(
    "POST",
    "/webhooks/<int:endpoint_id>/test",
    summary="Send a webhook.test event to this endpoint only",
    auth=("business",),
    response=DeliveryOut,
    status=202,
    tags=("webhooks",),
    errors=(409,),
)
def send_webhook_test(endpoint_id: int) -> DeliveryOut:
    """The worker sends it within seconds; follow it in the delivery log. 409 if the endpoint is disabled."""
    delivery = replay.send_test_event(db.session, _endpoint(endpoint_id), clock.utcnow())
    db.session.commit()
    return delivery_out(delivery)
