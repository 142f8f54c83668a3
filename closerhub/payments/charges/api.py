"""API v1 charges: ``GET /api/v1/charges`` (business: its own; admin: all), ``GET /api/v1/charges/{id}``.

Same service functions as the pages. Another business's charge is a 404; closers get a 403.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schema_docs import documented_text
from closerhub.api.schemas import InModel, OutModel, Page, PageQuery, UTCInstant
from closerhub.api.schemas import Money as ApiMoney
from closerhub.commands import errors_for
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import refunds
from closerhub.payments.charges.commands import ManualReturn
from closerhub.payments.charges.models import Charge


class ChargeMoney(OutModel):
    amount: int = Field(description="Minor units")
    currency: str


class ChargeOut(OutModel):
    """What a business is billed for one confirmed won outcome."""

    id: int
    business_id: int
    outcome_id: int
    status: str = Field(
        description="pending, processing, succeeded, requires_action, failed, refunded, partially_refunded, "
        "disputed, manual_due, manual_paid, cancelled"
    )
    amount: ChargeMoney = Field(description="Total charged: commission + platform fee")
    commission: ChargeMoney
    platform_fee: ChargeMoney
    refunded: ChargeMoney
    attempts: int
    next_attempt_at: UTCInstant | None
    failure_message: str | None
    stripe_payment_intent_id: str | None
    stripe_charge_id: str | None
    transfer_group: str
    paid_at: UTCInstant | None
    created_at: UTCInstant
    updated_at: UTCInstant


def charge_out(c: Charge) -> dict[str, Any]:
    """The JSON of a charge."""

    def money(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": c.currency}

    return ChargeOut.model_validate(
        {
            "id": c.id,
            "business_id": c.business_id,
            "outcome_id": c.outcome_id,
            "status": c.status.value,
            "amount": money(c.amount),
            "commission": money(c.commission),
            "platform_fee": money(c.platform_fee),
            "refunded": money(c.refunded_amount),
            "attempts": c.attempts,
            "next_attempt_at": c.next_attempt_at,
            "failure_message": c.failure_message,
            "stripe_payment_intent_id": c.stripe_payment_intent_id,
            "stripe_charge_id": c.stripe_charge_id,
            "transfer_group": c.transfer_group,
            "paid_at": c.paid_at,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
    ).model_dump(mode="json")


@api_route(
    "GET",
    "/charges",
    summary="Charges (business: your own; admin: all)",
    auth=("business", "admin"),
    query=PageQuery,
    response=Page[ChargeOut],
    tags=("money",),
)
def list_charges(query: PageQuery) -> dict[str, Any]:
    """Newest first. One charge per confirmed won outcome."""
    stmt = charge_queries.charges_query(current_api_user())
    return paginate(db.session, stmt, Charge.id, query, charge_out, descending=True)


@api_route(
    "GET",
    "/charges/<int:charge_id>",
    summary="One charge",
    auth=("business", "admin"),
    response=ChargeOut,
    tags=("money",),
)
def get_charge(charge_id: int) -> dict[str, Any]:
    """A charge of another business is a 404."""
    return charge_out(charge_queries.find_charge(db.session, charge_id, current_api_user()))


class ManualReturnIn(InModel):
    kind: Literal["refund", "chargeback"]
    amount: ApiMoney = Field(
        description="What the business got back: above zero, at most what remains of the charge, in its currency"
    )
    reason: Annotated[str, Field(max_length=refunds.REASON_MAX), documented_text(refunds.REASON_MAX)] = ""
    expected_refunded: int | None = Field(
        None, description="The charge's `refunded.amount` you last read: if it changed since, 409 and nothing recorded"
    )


@api_route(
    "POST",
    "/charges/<int:charge_id>/manual-returns",
    summary="Record a refund or chargeback of a charge paid by bank transfer (admin, manual mode)",
    auth=("admin",),
    body=ManualReturnIn,
    response=ChargeOut,
    status=201,
    idempotent=True,
    tags=("money",),
)
def record_manual_return(charge_id: int, body: ManualReturnIn) -> dict[str, Any]:
    """The closer's commission comes back by the same rule as a Stripe refund (the returned share, half-up
    once on the running total; after a payout, a negative balance the next payout deducts). More than what
    remains is a 422; send an `Idempotency-Key` so a retry records nothing twice."""
    returned = ManualReturn(
        kind=body.kind,
        amount=Money(body.amount.amount, body.amount.currency.upper()),
        reason=body.reason,
        expected_returned=body.expected_refunded,
    )
    with errors_for(ManualReturn, "api"):
        charge = refunds.record_manual_return(db.session, current_api_user(), charge_id, returned, now=clock.utcnow())
    return charge_out(charge)
