"""API schemas of outcomes, disputes, balances and the ledger.

Inputs check shapes and types; the rules (a won deal's value above zero, another
currency only with a reason, who may confirm...) are checked by ``outcomes.service``,
which the HTML pages call too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from closerhub.api.schemas import AwareInstant, InModel, Money, OutModel, UTCInstant

ShortText = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class PlannedInstalmentIn(InModel):
    due_on: date = Field(examples=["2027-01-15"])
    amount: Money


class PaymentPlanIn(InModel):
    """Instalments summing to `deal_value`, in its currency."""

    instalments: list[PlannedInstalmentIn] = Field(min_length=1, max_length=60)


class OutcomeIn(InModel):
    """What happened on the call. `deal_value` is required for `won` (in the offer's currency unless
    `currency_reason` says why not) and ignored otherwise."""

    result: Literal["won", "lost", "no_show", "follow_up", "not_a_fit"]
    deal_value: Money | None = None
    currency_reason: Reason = ""
    lost_reason: Literal["price", "timing", "authority", "need", "competitor", "trust", "other"] | None = None
    lost_reason_text: Reason = ""
    objections: list[ShortText] = Field(default_factory=list, max_length=20)
    technique: Literal["assumptive", "alternative_choice", "summary", "direct_ask", "trial_close", "other"] | None = (
        None
    )
    buying_signals: list[ShortText] = Field(default_factory=list, max_length=20)
    next_step: Reason = ""
    next_step_at: AwareInstant | None = Field(None, description="Follow-up: when the next step happens (future)")
    notes: Text = Field("", description="For the business")
    payment_plan: PaymentPlanIn | None = Field(
        None, description="Won: instalments summing to deal_value (none: one instalment due on the call's date)"
    )


class DisputeIn(InModel):
    reason: Reason = Field(description="Why the business disputes the outcome (required)")


class ResolveIn(InModel):
    """Neither `deal_value` nor `void`: confirm as recorded. `deal_value`: adjust a won deal. `void: true`: void it."""

    note: Reason = Field(description="Required: the closer and the business read it")
    deal_value: Money | None = None
    void: bool = False


class MoneyOut(OutModel):
    amount: int = Field(description="Minor units")
    currency: str


class CommissionOut(OutModel):
    amount: int = Field(description="Minor units owed to the closer")
    currency: str
    rate_bps: int
    platform_fee: int = Field(description="Minor units charged to the business on top")
    basis: Literal["contract_value", "cash_collected"] = Field(
        description="cash_collected: `amount` is the commission on the whole plan; it accrues per collected "
        "instalment (see /outcomes/{id}/instalments)"
    )
    status: Literal["pending", "available", "voided"] = Field(
        description="pending until released after the clawback hold; voided if the outcome was voided"
    )


class OutcomeOut(OutModel):
    id: int
    appointment_id: int
    closer_id: int
    business_id: int
    result: str
    status: Literal["recorded", "confirmed", "disputed", "resolved", "voided"]
    revision: int
    deal_value: MoneyOut | None
    currency_reason: str | None
    commission: CommissionOut | None
    lost_reason: str | None
    lost_reason_text: str
    objections: list[str]
    technique: str | None
    buying_signals: list[str]
    next_step: str
    next_step_at: UTCInstant | None
    notes: str
    recorded_at: UTCInstant
    confirm_deadline: UTCInstant
    confirmed_at: UTCInstant | None
    disputed_at: UTCInstant | None
    dispute_reason: str | None
    resolved_at: UTCInstant | None
    resolution_note: str | None
    release_after: UTCInstant | None
