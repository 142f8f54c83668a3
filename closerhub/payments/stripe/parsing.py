"""Stripe's JSON objects read into our plain results (``results``): payment methods, transfers,
PaymentIntents, timestamps, metadata. Plain data in, plain data out: no ``stripe`` import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from closerhub.payments.stripe.results import ChargeResult, ChargeStatus, PaymentMethodInfo, TransferInfo


def timestamp(value: int | None) -> datetime:
    return datetime.fromtimestamp(int(value or 0), tz=UTC)


def payment_method_info(pm: Any) -> PaymentMethodInfo:
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


def transfer_info(t: Any) -> TransferInfo:
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


def charge_result(pi: Any) -> ChargeResult:
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


def string_metadata(values: dict[str, Any] | None) -> dict[str, str]:
    # Stripe metadata is string → string; ids are ints on our side.
    return {str(k): str(v) for k, v in (values or {}).items()}
