"""API v1 shapes of outbound webhooks: endpoints, the one-time secret, deliveries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from closerhub.api.schemas import AwareInstant, InModel, OutModel, UTCInstant
from closerhub.webhooks.models import EVENT_TYPES

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class WebhookIn(InModel):
    url: str = Field(
        max_length=2000,
        pattern=r"^\s*https?://\S+\s*$",
        description=(
            "Where events are POSTed: https (http and private or loopback addresses only outside production); "
            "its server name must resolve"
        ),
    )
    events: list[EventType] = Field(min_length=1, description="The event types to send")
    description: str | None = Field(default=None, max_length=300)


class WebhookOut(OutModel):
    id: int
    url: str
    events: list[str]
    description: str
    enabled: bool
    created_at: UTCInstant


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="whsec_ + base64: shown once, store it to verify signatures")


class WebhookList(OutModel):
    data: list[WebhookOut]


class SecretOut(OutModel):
    id: int
    secret: str = Field(description="The new secret; the previous one keeps signing for 24 hours")


class DeliveryOut(OutModel):
    id: int
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    next_attempt_at: UTCInstant | None


class DeliveryList(OutModel):
    data: list[DeliveryOut]


class ReplayIn(InModel):
    since: AwareInstant = Field(
        description=("Replay the endpoint's event types recorded at or after this instant (not in the future: a 422)")
    )


class ReplayOut(OutModel):
    count: int = Field(description="How many deliveries were queued (at most 10,000 per replay)")
