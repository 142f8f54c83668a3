"""The gateway's errors: each Stripe SDK error mapped to ours (``results``), so no caller sees ``stripe.*Error``.

With ``gateway.py`` and ``gateway_webhooks.py``, one of the three modules that import ``stripe``.
"""

from __future__ import annotations

import stripe

from closerhub.core.i18n import N_, _
from closerhub.payments.stripe.results import (
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    IdempotencyConflict,
    PaymentDeclined,
)

UNAVAILABLE_MESSAGE = N_(
    "The payment provider could not be reached. Nothing was charged twice; please try again shortly."
)
DECLINED_MESSAGE = N_("The card was declined.")
REFUSED_MESSAGE = N_("The payment provider refused the request.")


def map_error(exc: stripe.StripeError) -> GatewayError:
    """Our exception for an SDK error (the caller raises it ``from exc``)."""
    if isinstance(exc, stripe.CardError):
        err = exc.error
        return PaymentDeclined(
            exc.user_message or _(DECLINED_MESSAGE),
            decline_code=getattr(err, "decline_code", None) if err else None,
            stripe_code=exc.code,
        )
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(_("This payment request conflicts with an earlier one and was not sent again."))
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        return GatewayUnavailable(_(UNAVAILABLE_MESSAGE))
    if isinstance(exc, stripe.AuthenticationError):
        return GatewayError(_("The platform's payment settings are wrong; an administrator has to fix them."))
    if isinstance(exc, stripe.InvalidRequestError):
        return GatewayRejected(
            exc.user_message or _(REFUSED_MESSAGE),
            stripe_code=exc.code,
            param=exc.param,
        )
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return GatewayUnavailable(_(UNAVAILABLE_MESSAGE))
    return GatewayError(exc.user_message or _(REFUSED_MESSAGE))
