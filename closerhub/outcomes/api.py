"""API v1 outcome and money routes: record an outcome, confirm, dispute, resolve; balances and the ledger.

Same service functions as the HTML pages. Wrong role 403, another tenant's objects 404,
a state change the status does not allow 409, bad input 422.
"""

from __future__ import annotations

from typing import Any

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.api.schemas import Money as MoneyIn
from closerhub.api.schemas import dump
from closerhub.commands import errors_for
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.commands import OutcomeData, PlannedInstalment
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.schemas import (
    DisputeIn,
    OutcomeIn,
    OutcomeOut,
    ResolveIn,
)
from closerhub.webhooks import payloads as webhook_payloads


def outcome_out(o: Outcome) -> OutcomeOut:
    commission = None
    if o.commission_amount is not None:
        status = "voided" if o.status == OutcomeStatus.VOIDED else ("available" if o.released_at else "pending")
        commission = {
            "amount": o.commission_amount,
            "currency": o.deal_currency,
            "rate_bps": o.rate_bps,
            "platform_fee": o.platform_fee_amount,
            "basis": o.commission_basis.value,
            "status": status,
        }
    return OutcomeOut.model_validate(
        {
            "id": o.id,
            "appointment_id": o.appointment_id,
            "closer_id": o.closer_id,
            "business_id": o.business_id,
            "result": o.result.value,
            "status": o.status.value,
            "revision": o.revision,
            "deal_value": o.deal_value.as_dict() if o.deal_value else None,
            "currency_reason": o.currency_reason,
            "commission": commission,
            "lost_reason": o.lost_reason.value if o.lost_reason else None,
            "lost_reason_text": o.lost_reason_text,
            "objections": list(o.objections or []),
            "technique": o.technique.value if o.technique else None,
            "buying_signals": list(o.buying_signals or []),
            "next_step": o.next_step,
            "next_step_at": o.next_step_at,
            "notes": o.notes,
            "recorded_at": o.recorded_at,
            "confirm_deadline": o.confirm_deadline,
            "confirmed_at": o.confirmed_at,
            "disputed_at": o.disputed_at,
            "dispute_reason": o.dispute_reason,
            "resolved_at": o.resolved_at,
            "resolution_note": o.resolution_note,
            "release_after": o.release_after,
        }
    )


def outcome_data(outcome: Outcome) -> dict[str, Any]:
    """A outcome as a webhook event's ``data``: the API resource, JSON-ready."""
    return dump(outcome_out(outcome))


webhook_payloads.register("outcome", outcome_data)


def _money(value: MoneyIn | None) -> Money | None:
    return Money(value.amount, value.currency.upper()) if value is not None else None


def _plan(body: OutcomeIn) -> tuple[PlannedInstalment, ...] | None:
    if body.payment_plan is None:
        return None
    return tuple(
        PlannedInstalment(line.due_on, Money(line.amount.amount, line.amount.currency.upper()))
        for line in body.payment_plan.instalments
    )


def outcome_command(body: OutcomeIn) -> OutcomeData:
    """The report the API body states, as the service's command."""
    return OutcomeData(
        result=body.result,
        deal_value=_money(body.deal_value),
        currency_reason=body.currency_reason,
        lost_reason=body.lost_reason,
        lost_reason_text=body.lost_reason_text,
        objections=tuple(body.objections),
        technique=body.technique,
        buying_signals=tuple(body.buying_signals),
        next_step=body.next_step,
        next_step_at=body.next_step_at,
        notes=body.notes,
        payment_plan=_plan(body),
    )


@api_route(
    "POST",
    "/appointments/<int:appointment_id>/outcome",
    summary="Record the outcome of a call (closer, once it has started)",
    auth=("closer",),
    body=OutcomeIn,
    response=OutcomeOut,
    status=201,
    idempotent=True,
    errors=(409,),
    tags=("outcomes",),
)
def record_outcome(appointment_id: int, body: OutcomeIn) -> OutcomeOut:
    """One outcome per call (409 `outcome_exists`); not before the call starts (409 `call_not_started`)
    nor on a cancelled call (409). A won deal's commission (the engagement's rate) enters your
    pending balance; the business is asked to confirm within `CONFIRM_DAYS`."""
    data = outcome_command(body)
    with errors_for(OutcomeData, "api"):
        outcome = service.record_outcome(db.session, current_api_user(), appointment_id, data, now=clock.utcnow())
    return outcome_out(outcome)


@api_route("GET", "/outcomes/<int:outcome_id>", summary="One outcome", response=OutcomeOut, tags=("outcomes",))
def get_outcome(outcome_id: int) -> OutcomeOut:
    """The closer, the business's team and admins; anyone else gets a 404."""
    return outcome_out(service.find_outcome(db.session, outcome_id, current_api_user()))


@api_route(
    "POST",
    "/outcomes/<int:outcome_id>/confirm",
    summary="Confirm an outcome (business)",
    auth=("business",),
    response=OutcomeOut,
    errors=(409,),
    tags=("outcomes",),
)
def confirm_outcome(outcome_id: int) -> OutcomeOut:
    """Only a `recorded` outcome can be confirmed (409 otherwise); it is locked afterwards."""
    return outcome_out(settlement.confirm(db.session, current_api_user(), outcome_id, now=clock.utcnow()))


@api_route(
    "POST",
    "/outcomes/<int:outcome_id>/dispute",
    summary="Dispute an outcome with a reason (business)",
    auth=("business",),
    body=DisputeIn,
    response=OutcomeOut,
    errors=(409,),
    tags=("outcomes",),
)
def dispute_outcome(outcome_id: int, body: DisputeIn) -> OutcomeOut:
    """Before the confirmation deadline (409 `confirm_window_closed` after it). An admin decides."""
    return outcome_out(settlement.dispute(db.session, current_api_user(), outcome_id, body.reason, now=clock.utcnow()))


@api_route(
    "POST",
    "/outcomes/<int:outcome_id>/resolve",
    summary="Resolve a dispute (admin): confirm, adjust the value, or void",
    auth=("admin",),
    body=ResolveIn,
    response=OutcomeOut,
    errors=(409,),
    tags=("outcomes",),
)
def resolve_outcome(outcome_id: int, body: ResolveIn) -> OutcomeOut:
    """`note` is required. An adjustment reverses the commission and earns the new one; a void reverses it."""
    outcome = settlement.resolve_dispute(
        db.session,
        current_api_user(),
        outcome_id,
        note=body.note,
        void=body.void,
        deal_value=_money(body.deal_value),
        now=clock.utcnow(),
    )
    return outcome_out(outcome)
