"""The Stripe gateway: the ONLY module that imports ``stripe``.

Everything else in CloserHub talks to Stripe through :class:`Gateway` and receives plain
dataclasses (never ``StripeObject``s) and our own exceptions (never ``stripe.*Error``), so
the rest of the code can be read, tested and replaced without knowing the SDK.

Configuration (``app.config``):

- ``STRIPE_SECRET_KEY``: empty → manual mode (``is_configured()`` is False).
- ``STRIPE_API_BASE``: another API host (localstripe or the test fake); empty → Stripe.
- ``STRIPE_MAX_NETWORK_RETRIES`` (default 2): the SDK retries connection errors, 409, 429
  and 5xx itself, re-sending the SAME idempotency key, so a retry never charges twice.
- ``STRIPE_TIMEOUT_SECONDS`` (default 20): per request; a timeout is a ``GatewayUnavailable``.
- ``STRIPE_PI_TRANSFER_GROUP`` (default True): send ``transfer_group`` on PaymentIntents.
  localstripe refuses that parameter; with False the group travels in
  ``metadata["transfer_group"]`` instead, so the charge stays linked to its transfers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from flask import Flask, current_app

from closerhub.core.i18n import N_, _
from closerhub.payments.stripe.results import (
    AccountLink,
    AccountState,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    GatewayNotConfigured,
    GatewayRejected,
    GatewayUnavailable,
    IdempotencyConflict,
    PaymentDeclined,
    PaymentMethodInfo,
    RefundInfo,
    SetupIntentInfo,
    TransferInfo,
    TransferReversalInfo,
    WebhookEvent,
    WebhookSignatureInvalid,
)

DEFAULT_RETRIES = 2
DEFAULT_TIMEOUT = 20.0
WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: older signed timestamps are refused

# ---------------------------------------------------------------------------
# Error mapping
# ---------------------------------------------------------------------------

_UNAVAILABLE_MESSAGE = N_(
    "The payment provider could not be reached. Nothing was charged twice; please try again shortly."
)
_DECLINED_MESSAGE = N_("The card was declined.")
_REFUSED_MESSAGE = N_("The payment provider refused the request.")
_NOT_A_STRIPE_EVENT = N_("The webhook body is not a Stripe event.")


def _map_error(exc: stripe.StripeError) -> GatewayError:
    """Our exception for an SDK error (the caller raises it ``from exc``)."""
    if isinstance(exc, stripe.CardError):
        err = exc.error
        return PaymentDeclined(
            exc.user_message or _(_DECLINED_MESSAGE),
            decline_code=getattr(err, "decline_code", None) if err else None,
            stripe_code=exc.code,
        )
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(_("This payment request conflicts with an earlier one and was not sent again."))
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        return GatewayUnavailable(_(_UNAVAILABLE_MESSAGE))
    if isinstance(exc, stripe.AuthenticationError):
        return GatewayError(_("The platform's payment settings are wrong; an administrator has to fix them."))
    if isinstance(exc, stripe.InvalidRequestError):
        return GatewayRejected(
            exc.user_message or _(_REFUSED_MESSAGE),
            stripe_code=exc.code,
            param=exc.param,
        )
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return GatewayUnavailable(_(_UNAVAILABLE_MESSAGE))
    return GatewayError(exc.user_message or _(_REFUSED_MESSAGE))


def _ts(value: int | None) -> datetime:
    return datetime.fromtimestamp(int(value or 0), tz=UTC)


def _pm_info(pm: Any) -> PaymentMethodInfo:
    card = pm.get("card") or {}
    customer = pm.get("customer")
    if customer is not None and not isinstance(customer, str):
        customer = customer.get("id")
    return PaymentMethodInfo(
        id=pm["id"],
        customer=customer,
        brand=card.get("brand"),
        last4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


def _transfer_info(t: Any) -> TransferInfo:
    destination = t.get("destination")
    if destination is not None and not isinstance(destination, str):
        destination = destination.get("id")
    return TransferInfo(
        id=t["id"],
        amount=int(t["amount"]),
        currency=t["currency"],
        destination=destination or "",
        transfer_group=t.get("transfer_group"),
        amount_reversed=int(t.get("amount_reversed") or 0),
        reversed=bool(t.get("reversed")),
        metadata=dict(t.get("metadata") or {}),
    )


def _charge_result_from_pi(pi: Any) -> ChargeResult:
    status = pi["status"]
    error = pi.get("last_payment_error") or {}
    if status == "succeeded":
        mapped: ChargeStatus = "succeeded"
    elif status == "processing":
        mapped = "processing"
    elif status in ("requires_action", "requires_confirmation"):
        mapped = "requires_action"
    else:  # requires_payment_method, canceled
        mapped = "failed"
    latest = pi.get("latest_charge")
    if latest is not None and not isinstance(latest, str):
        latest = latest.get("id")
    return ChargeResult(
        status=mapped,
        id=pi["id"],
        amount=int(pi["amount"]),
        currency=pi["currency"],
        decline_code=error.get("decline_code") if mapped == "failed" else None,
        message=error.get("message") if mapped == "failed" else None,
        latest_charge=latest,
    )


def _metadata(values: dict[str, Any] | None) -> dict[str, str]:
    # Stripe metadata is string → string; ids are ints on our side.
    return {str(k): str(v) for k, v in (values or {}).items()}


# ---------------------------------------------------------------------------
# The gateway
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewaySettings:
    secret_key: str
    api_base: str = ""
    max_network_retries: int = DEFAULT_RETRIES
    timeout_seconds: float = DEFAULT_TIMEOUT
    pi_transfer_group: bool = True

    @classmethod
    def from_config(cls, config: Any) -> GatewaySettings:
        """Read the ``STRIPE_*`` settings of a Flask config (or any mapping)."""
        return cls(
            secret_key=str(config.get("STRIPE_SECRET_KEY") or ""),
            api_base=str(config.get("STRIPE_API_BASE") or "").rstrip("/"),
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", DEFAULT_RETRIES)),
            timeout_seconds=float(config.get("STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)),
            pi_transfer_group=bool(config.get("STRIPE_PI_TRANSFER_GROUP", True)),
        )


class Gateway:
    """Stripe, reached through ``stripe.StripeClient``; every write takes an idempotency key."""

    def __init__(self, settings: GatewaySettings):
        self.settings = settings
        self._client: stripe.StripeClient | None = None
        if settings.secret_key:
            base = settings.api_base
            self._client = stripe.StripeClient(
                settings.secret_key,
                base_addresses={"api": base, "connect": base, "files": base} if base else None,
                max_network_retries=settings.max_network_retries,
                http_client=stripe.RequestsClient(timeout=settings.timeout_seconds),
            )

    @classmethod
    def from_config(cls, config: Any) -> Gateway:
        return cls(GatewaySettings.from_config(config))

    def is_configured(self) -> bool:
        """False in manual mode (no secret key): nothing is sent to Stripe."""
        return self._client is not None

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            raise GatewayNotConfigured(_("Online payments are not set up on this platform; it works in manual mode."))
        return self._client

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Call the SDK; answer a plain dict (never a ``StripeObject``) or raise our exception."""
        try:
            result = fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _map_error(exc) from exc
        return result.to_dict()

    @staticmethod
    def _opts(idempotency_key: str | None) -> dict[str, Any]:
        return {"idempotency_key": idempotency_key} if idempotency_key else {}

    # -- Connect: accounts and onboarding ----------------------------------

    def create_express_account(
        self, *, email: str, country: str | None, idempotency_key: str, metadata: dict[str, Any] | None = None
    ) -> AccountState:
        """An Express connected account able to receive transfers."""
        params: dict[str, Any] = {
            "type": "express",
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": _metadata(metadata),
        }
        if country:
            params["country"] = country
        account = self._call(self.client.v1.accounts.create, params, self._opts(idempotency_key))
        return AccountState.from_dict(account)

    def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> AccountLink:
        """A single-use onboarding link (it expires within minutes, so it is never stored)."""
        link = self._call(
            self.client.v1.account_links.create,
            {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"},
        )
        return AccountLink(url=link["url"], expires_at=_ts(link.get("expires_at")))

    def retrieve_account(self, account_id: str) -> AccountState:
        account = self._call(self.client.v1.accounts.retrieve, account_id)
        return AccountState.from_dict(account)

    # -- Customers and payment methods --------------------------------------

    def create_customer(
        self, *, email: str, name: str | None, idempotency_key: str, metadata: dict[str, Any] | None = None
    ) -> str:
        """A customer for a business; returns its id."""
        params: dict[str, Any] = {"email": email, "metadata": _metadata(metadata)}
        if name:
            params["name"] = name
        customer = self._call(self.client.v1.customers.create, params, self._opts(idempotency_key))
        return str(customer["id"])

    def create_setup_intent(self, customer_id: str, *, idempotency_key: str | None = None) -> SetupIntentInfo:
        """A SetupIntent saving a card for later off-session charges."""
        intent = self._call(
            self.client.v1.setup_intents.create,
            {"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
            self._opts(idempotency_key),
        )
        return SetupIntentInfo(id=intent["id"], client_secret=intent["client_secret"], status=intent["status"])

    def retrieve_payment_method(self, payment_method_id: str) -> PaymentMethodInfo:
        return _pm_info(self._call(self.client.v1.payment_methods.retrieve, payment_method_id))

    def list_payment_methods(self, customer_id: str) -> list[PaymentMethodInfo]:
        result = self._call(self.client.v1.payment_methods.list, {"customer": customer_id, "type": "card"})
        return [_pm_info(pm) for pm in result["data"]]

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> PaymentMethodInfo:
        pm = self._call(self.client.v1.payment_methods.attach, payment_method_id, {"customer": customer_id})
        return _pm_info(pm)

    def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        """Make the card the customer's default (used when we charge off-session)."""
        self._call(
            self.client.v1.customers.update,
            customer_id,
            {"invoice_settings": {"default_payment_method": payment_method_id}},
        )

    def retrieve_default_payment_method(self, customer_id: str) -> PaymentMethodInfo | None:
        customer = self._call(self.client.v1.customers.retrieve, customer_id)
        pm_id = (customer.get("invoice_settings") or {}).get("default_payment_method")
        if not pm_id:
            return None
        if not isinstance(pm_id, str):
            pm_id = pm_id.get("id")
        return self.retrieve_payment_method(pm_id)

    # -- Charges ----------------------------------------------------------------

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        off_session: bool = True,
        confirm: bool = True,
        metadata: dict[str, Any] | None = None,
        transfer_group: str | None = None,
        description: str | None = None,
    ) -> ChargeResult:
        """Charge a saved card. A decline or a card needing authentication is a ``ChargeResult``
        (``failed`` / ``requires_action``), not an exception; network trouble raises
        ``GatewayUnavailable`` (retry later with the same key)."""
        meta = _metadata(metadata)
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "off_session": off_session,
            "confirm": confirm,
            "metadata": meta,
        }
        if transfer_group:
            if self.settings.pi_transfer_group:
                params["transfer_group"] = transfer_group
            else:  # localstripe refuses the parameter: keep the link in metadata
                meta["transfer_group"] = transfer_group
        if description:
            params["description"] = description
        try:
            pi = self.client.v1.payment_intents.create(params, self._opts(idempotency_key)).to_dict()  # type: ignore[arg-type]
        except stripe.CardError as exc:
            err = exc.error
            pi_obj = getattr(err, "payment_intent", None) if err else None
            pi_obj = pi_obj.to_dict() if pi_obj is not None else None
            needs_auth = exc.code == "authentication_required"
            return ChargeResult(
                status="requires_action" if needs_auth else "failed",
                id=pi_obj.get("id") if pi_obj else None,
                amount=amount,
                currency=currency.lower(),
                decline_code=(getattr(err, "decline_code", None) if err else None) or exc.code,
                message=exc.user_message or _(_DECLINED_MESSAGE),
            )
        except stripe.StripeError as exc:
            raise _map_error(exc) from exc
        return _charge_result_from_pi(pi)

    def retrieve_payment_intent(self, payment_intent_id: str) -> ChargeResult:
        return _charge_result_from_pi(self._call(self.client.v1.payment_intents.retrieve, payment_intent_id))

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> ChargeResult:
        """Cancel a PaymentIntent that can still be paid (e.g. one waiting for the cardholder to
        authenticate), so it can never succeed later. Stripe refuses to cancel a succeeded or
        processing one: that is a ``GatewayRejected`` (read the intent to see where it stands)."""
        pi = self._call(
            self.client.v1.payment_intents.cancel,
            payment_intent_id,
            {},  # no cancellation_reason: optional, and localstripe refuses it
            self._opts(idempotency_key),
        )
        return _charge_result_from_pi(pi)

    def create_refund(self, payment_intent_id: str, *, idempotency_key: str, amount: int | None = None) -> RefundInfo:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount
        refund = self._call(self.client.v1.refunds.create, params, self._opts(idempotency_key))
        return RefundInfo(
            id=refund["id"],
            payment_intent=refund.get("payment_intent"),
            amount=int(refund["amount"]),
            status=refund["status"],
        )

    # -- Transfers ---------------------------------------------------------------

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        idempotency_key: str,
        transfer_group: str | None = None,
        metadata: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> TransferInfo:
        """Move money from the platform balance to a connected account."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": _metadata(metadata),
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        if description:
            params["description"] = description
        return _transfer_info(self._call(self.client.v1.transfers.create, params, self._opts(idempotency_key)))

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo:
        return _transfer_info(self._call(self.client.v1.transfers.retrieve, transfer_id))

    def list_transfers(
        self, *, transfer_group: str | None = None, destination: str | None = None
    ) -> list[TransferInfo]:
        params: dict[str, Any] = {"limit": 100}
        if transfer_group:
            params["transfer_group"] = transfer_group
        if destination:
            params["destination"] = destination
        return [_transfer_info(t) for t in self._call(self.client.v1.transfers.list, params)["data"]]

    def create_transfer_reversal(
        self,
        transfer_id: str,
        *,
        idempotency_key: str,
        amount: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> TransferReversalInfo:
        """Take money back from a connected account (a clawback after a payout)."""
        params: dict[str, Any] = {"metadata": _metadata(metadata)}
        if amount is not None:
            params["amount"] = amount
        rev = self._call(self.client.v1.transfers.reversals.create, transfer_id, params, self._opts(idempotency_key))
        return TransferReversalInfo(
            id=rev["id"], transfer=rev["transfer"], amount=int(rev["amount"]), currency=rev["currency"]
        )

    # -- Webhooks ----------------------------------------------------------------

    @staticmethod
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
            raise WebhookSignatureInvalid(_(_NOT_A_STRIPE_EVENT)) from exc
        try:
            stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureInvalid(_("The webhook signature is invalid or too old.")) from exc
        try:
            body = json.loads(text)
            return WebhookEvent(
                id=str(body["id"]),
                type=str(body["type"]),
                created=_ts(body.get("created")),
                livemode=bool(body.get("livemode")),
                data_object=dict(body["data"]["object"]),
                payload=body,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureInvalid(_(_NOT_A_STRIPE_EVENT)) from exc


def sign_webhook_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, made exactly as Stripe makes it (for tests and fakes)."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def get_gateway(app: Flask | None = None) -> Gateway:
    """The app's gateway, rebuilt whenever its ``STRIPE_*`` settings change (tests switch modes)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    settings = GatewaySettings.from_config(app.config)
    cached = app.extensions.get("stripe_gateway")
    if cached is None or cached.settings != settings:
        cached = Gateway(settings)
        app.extensions["stripe_gateway"] = cached
    return cached


def stripe_mode(app: Flask | None = None) -> bool:
    """True when the platform talks to Stripe; False in manual mode."""
    return get_gateway(app).is_configured()
