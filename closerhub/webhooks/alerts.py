"""Tell a business's owner that one of its webhook endpoints was disabled after failing for days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.businesses.models import Business
from closerhub.notifications.service import public_url, queue_email
from closerhub.webhooks.models import WebhookEndpoint


def email_owner_disabled(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Queue the "endpoint disabled" email to the owner in the caller's transaction (the caller commits).

    Called once per disabling (the worker disables an enabled endpoint only), so a business
    hears of it once; it hears again only if the endpoint, enabled again, fails for days again.
    """
    business = session.get(Business, endpoint.business_id)
    owner = business.owner if business is not None else None
    if owner is None:  # a business without an owner has no one to tell
        return
    failing_since = endpoint.failing_since or now
    queue_email(
        session,
        to=owner.email,
        template="webhook_endpoint_disabled",
        language=owner.language,
        context={
            "recipient": owner,
            "endpoint": endpoint,
            "days": max(1, (now - failing_since).days),
            "url": public_url("integrations.deliveries", endpoint_id=endpoint.id),
        },
        now=now,
    )
