"""The Stripe gateway: with its ``gateway_errors`` and ``gateway_webhooks``, the only modules importing ``stripe``.

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

from typing import Any

import stripe
from flask import Flask, current_app

from closerhub.core.i18n import _
from closerhub.payments.stripe.gateway_errors import DECLINED_MESSAGE, map_error
from closerhub.payments.stripe.gateway_webhooks import WEBHOOK_TOLERANCE_SECONDS, construct_event, sign_webhook_payload
from closerhub.payments.stripe.parsing import (
    charge_result,
    payment_method_info,
    string_metadata,
    timestamp,
    transfer_info,
)
from closerhub.payments.stripe.results import (
    AccountLink,
    AccountState,
    ChargeResult,
    GatewayNotConfigured,
    PaymentMethodInfo,
    RefundInfo,
    SetupIntentInfo,
    TransferInfo,
    TransferReversalInfo,
)
from closerhub.payments.stripe.settings import GatewaySettings

# ---------------------------------------------------------------------------
# The gateway
# ---------------------------------------------------------------------------


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
            raise map_error(exc) from exc
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
            "metadata": string_metadata(metadata),
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
        return AccountLink(url=link["url"], expires_at=timestamp(link.get("expires_at")))

    def retrieve_account(self, account_id: str) -> AccountState:
        account = self._call(self.client.v1.accounts.retrieve, account_id)
        return AccountState.from_dict(account)

    # -- Customers and payment methods --------------------------------------

    def create_customer(
        self, *, email: str, name: str | None, idempotency_key: str, metadata: dict[str, Any] | None = None
    ) -> str:
        """A customer for a business; returns its id."""
        params: dict[str, Any] = {"email": email, "metadata": string_metadata(metadata)}
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
        return payment_method_info(self._call(self.client.v1.payment_methods.retrieve, payment_method_id))

    def list_payment_methods(self, customer_id: str) -> list[PaymentMethodInfo]:
        result = self._call(self.client.v1.payment_methods.list, {"customer": customer_id, "type": "card"})
        return [payment_method_info(pm) for pm in result["data"]]

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> PaymentMethodInfo:
        pm = self._call(self.client.v1.payment_methods.attach, payment_method_id, {"customer": customer_id})
        return payment_method_info(pm)

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
        meta = string_metadata(metadata)
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
                message=exc.user_message or _(DECLINED_MESSAGE),
            )
        except stripe.StripeError as exc:
            raise map_error(exc) from exc
        return charge_result(pi)

    def retrieve_payment_intent(self, payment_intent_id: str) -> ChargeResult:
        return charge_result(self._call(self.client.v1.payment_intents.retrieve, payment_intent_id))

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
        return charge_result(pi)

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
            "metadata": string_metadata(metadata),
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        if description:
            params["description"] = description
        return transfer_info(self._call(self.client.v1.transfers.create, params, self._opts(idempotency_key)))

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo:
        return transfer_info(self._call(self.client.v1.transfers.retrieve, transfer_id))

    def list_transfers(
        self, *, transfer_group: str | None = None, destination: str | None = None
    ) -> list[TransferInfo]:
        params: dict[str, Any] = {"limit": 100}
        if transfer_group:
            params["transfer_group"] = transfer_group
        if destination:
            params["destination"] = destination
        return [transfer_info(t) for t in self._call(self.client.v1.transfers.list, params)["data"]]

    def create_transfer_reversal(
        self,
        transfer_id: str,
        *,
        idempotency_key: str,
        amount: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> TransferReversalInfo:
        """Take money back from a connected account (a clawback after a payout)."""
        params: dict[str, Any] = {"metadata": string_metadata(metadata)}
        if amount is not None:
            params["amount"] = amount
        rev = self._call(self.client.v1.transfers.reversals.create, transfer_id, params, self._opts(idempotency_key))
        return TransferReversalInfo(
            id=rev["id"], transfer=rev["transfer"], amount=int(rev["amount"]), currency=rev["currency"]
        )

    # -- Webhooks ----------------------------------------------------------------

    construct_event = staticmethod(construct_event)


__all__ = [
    "WEBHOOK_TOLERANCE_SECONDS",
    "Gateway",
    "GatewaySettings",
    "get_gateway",
    "sign_webhook_payload",
    "stripe_mode",
]


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
