"""What the Stripe gateway hands back: our exceptions and plain results (never the SDK's objects).

Messages are translated where raised; see ``gateway`` for how Stripe's errors map onto these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from closerhub.core.errors import DomainError
from closerhub.core.i18n import N_

# ---------------------------------------------------------------------------
# Our exceptions (a user-facing message each; the SDK's error stays in __cause__)
# ---------------------------------------------------------------------------
# Messages are translated where raised; a ``user_message`` from Stripe is passed on as Stripe wrote it.
# Titles are only marked (``N_``): whoever shows one translates it with ``_(exc.title)``.


class GatewayError(DomainError):
    """Stripe refused or could not be reached; ``message`` is fit to show a user."""

    status = 502
    code = "payment_gateway_error"
    title = N_("Payment provider error")


class GatewayNotConfigured(GatewayError):
    """No Stripe keys: the platform is in manual mode."""

    status = 503
    code = "payments_manual_mode"
    title = N_("Online payments are not set up")


class GatewayUnavailable(GatewayError):
    """Network trouble, a timeout, 429 or a 5xx after the SDK's retries: safe to retry later
    with the same idempotency key."""

    status = 503
    code = "payment_gateway_unavailable"
    title = N_("Payment provider unavailable")


class PaymentDeclined(GatewayError):
    """The card was declined (``decline_code`` says why when Stripe tells)."""

    status = 402
    code = "payment_declined"
    title = N_("Payment declined")

    def __init__(self, message: str, *, decline_code: str | None = None, stripe_code: str | None = None):
        super().__init__(message)
        self.decline_code = decline_code
        self.stripe_code = stripe_code


class IdempotencyConflict(GatewayError):
    """The same idempotency key was used with other parameters: a bug on our side, never retried."""

    status = 409
    code = "idempotency_conflict"
    title = N_("Conflicting retry")


class GatewayRejected(GatewayError):
    """Stripe refused the request as invalid (unknown object, bad parameter, no permission)."""

    code = "payment_gateway_rejected"

    def __init__(self, message: str, *, stripe_code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.stripe_code = stripe_code
        self.param = param


class WebhookSignatureInvalid(DomainError):
    """A webhook whose signature, timestamp or body does not check out."""

    status = 400
    code = "webhook_signature_invalid"
    title = N_("Invalid webhook")


# ---------------------------------------------------------------------------
# Plain results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountState:
    """What we keep of a connected account."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)
    disabled_reason: str | None = None

    @classmethod
    def from_dict(cls, account: dict[str, Any]) -> AccountState:
        """Read an ``account`` object (from the API or from an ``account.updated`` event)."""
        requirements = account.get("requirements") or {}
        due = list(requirements.get("currently_due") or [])
        for item in requirements.get("past_due") or []:  # past due is due too, and more urgent
            if item not in due:
                due.append(item)
        return cls(
            id=str(account["id"]),
            charges_enabled=bool(account.get("charges_enabled")),
            payouts_enabled=bool(account.get("payouts_enabled")),
            details_submitted=bool(account.get("details_submitted")),
            requirements_due=due,
            disabled_reason=requirements.get("disabled_reason"),
        )


@dataclass(frozen=True)
class AccountLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class SetupIntentInfo:
    id: str
    client_secret: str
    status: str


@dataclass(frozen=True)
class PaymentMethodInfo:
    id: str
    customer: str | None
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None


ChargeStatus = Literal["succeeded", "processing", "requires_action", "failed"]


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of an off-session charge attempt; a decline is a result, not an exception."""

    status: ChargeStatus
    id: str | None
    amount: int
    currency: str
    decline_code: str | None = None
    message: str | None = None
    latest_charge: str | None = None


@dataclass(frozen=True)
class TransferInfo:
    id: str
    amount: int
    currency: str
    destination: str
    transfer_group: str | None
    amount_reversed: int
    reversed: bool
    metadata: dict[str, str]


@dataclass(frozen=True)
class TransferReversalInfo:
    id: str
    transfer: str
    amount: int
    currency: str


@dataclass(frozen=True)
class RefundInfo:
    id: str
    payment_intent: str | None
    amount: int
    status: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event, as plain data."""

    id: str
    type: str
    created: datetime
    livemode: bool
    data_object: dict[str, Any]
    payload: dict[str, Any]
