"""Stripe webhooks at the gateway: a body's ``Stripe-Signature`` verified with the SDK, then read as plain data.

With ``gateway.py`` and ``gateway_errors.py``, one of the three modules that import ``stripe``.
"""

from __future__ import annotations

import json

import stripe

from closerhub.core.i18n import N_, _
from closerhub.payments.stripe.parsing import timestamp
from closerhub.payments.stripe.results import WebhookEvent, WebhookSignatureInvalid

WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: older signed timestamps are refused
NOT_A_STRIPE_EVENT = N_("The webhook body is not a Stripe event.")


def construct_event(
    payload: bytes | str, sig_header: str | None, secret: str, *, tolerance: int = WEBHOOK_TOLERANCE_SECONDS
) -> WebhookEvent:
    """Verify a webhook's ``Stripe-Signature`` with the SDK, then parse it as plain data.

    Works without an API key: verifying needs only the endpoint's signing secret.
    """
    if not secret:
        raise WebhookSignatureInvalid(_("Webhooks are not configured on this platform."))
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
    except UnicodeDecodeError as exc:
        raise WebhookSignatureInvalid(_(NOT_A_STRIPE_EVENT)) from exc
    try:
        stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid(_("The webhook signature is invalid or too old.")) from exc
    try:
        body = json.loads(text)
        return WebhookEvent(
            id=str(body["id"]),
            type=str(body["type"]),
            created=timestamp(body.get("created")),
            livemode=bool(body.get("livemode")),
            data_object=dict(body["data"]["object"]),
            payload=body,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookSignatureInvalid(_(NOT_A_STRIPE_EVENT)) from exc


def sign_webhook_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, made exactly as Stripe makes it (for tests and fakes)."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
