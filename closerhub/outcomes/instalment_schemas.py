"""API schemas of payment plans and instalments (commission on cash collected)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from closerhub.api.schemas import InModel, Money, OutModel
from closerhub.leads.schemas import ImportRowErrorOut
from closerhub.outcomes.schemas import MoneyOut, PaymentPlanIn, PlannedInstalmentIn  # noqa: F401

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class InstalmentCommissionOut(OutModel):
    amount: int = Field(description="Minor units accrued on this instalment so far (cash_collected; else 0)")
    currency: str
    rate_bps: int | None
    basis: Literal["contract_value", "cash_collected"]
    status: Literal["pending", "available"]


class InstalmentOut(OutModel):
    id: int
    outcome_id: int
    position: int
    due_on: date
    amount: MoneyOut
    status: Literal["due", "collected", "missed", "refunded"]
    collected_on: date | None
    refunded: MoneyOut
    commission: InstalmentCommissionOut
    miss_disputed: bool = Field(description="The closer disputes the missed marking; an admin decides")


class InstalmentList(OutModel):
    data: list[InstalmentOut]


class CollectIn(InModel):
    collected_on: date = Field(description="When the money arrived (not in the future)", examples=["2027-01-15"])


class RefundIn(InModel):
    amount: Money = Field(description="What was given back of this instalment (at most what is left)")


class MissDisputeIn(InModel):
    reason: Reason = Field(description="Why the closer believes this instalment was paid (required)")


class CollectionImportOut(OutModel):
    rows: int
    collected: list[int] = Field(description="Ids of the instalments marked collected, in file order")
    rejected: list[ImportRowErrorOut]
