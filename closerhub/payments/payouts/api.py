"""API v1 payouts: ``GET /api/v1/payouts`` (closer: own; admin: all) and ``POST /api/v1/payouts/run`` (admin).

The same service functions as ``/admin/payouts``, ``flask payouts run`` and the weekly job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schemas import CurrencyCode, OutModel, Page, PageQuery, UTCInstant
from closerhub.extensions import db
from closerhub.payments.payouts import batches as payout_batches
from closerhub.payments.payouts.models import Payout, PayoutStatus
from closerhub.payments.payouts.service import run_payouts

StatusName = Literal["pending", "sending", "paid", "failed", "manual_pending", "manual_paid", "reversed"]


class PayoutOut(OutModel):
    id: int
    run_id: int
    closer_id: int
    amount: int = Field(description="Minor units")
    currency: str
    status: StatusName
    stripe_transfer_id: str | None
    transfer_group: str | None
    amount_reversed: int = Field(description="Minor units taken back from the transfer (clawbacks, reversals)")
    attempts: int
    error: str | None
    created_at: UTCInstant
    paid_at: UTCInstant | None
    failed_at: UTCInstant | None


class PayoutQuery(PageQuery):
    closer_id: int | None = Field(None, description="Admins: one closer's payouts (closers always see their own)")
    status: StatusName | None = None
    currency: CurrencyCode | None = None


class PayoutRunOut(OutModel):
    run_id: int
    mode: Literal["stripe", "manual"]
    paid: int = Field(description="Transfers made by this run")
    manual: int = Field(description="Payouts recorded to be paid by bank (manual mode)")
    failed: int
    retrying: int = Field(description="Sent but the result is unknown: re-sent by the next run with the same key")
    skipped: int = Field(description="Closers whose payout account cannot receive payouts yet (told once by email)")
    repaired: int = Field(description="Payouts of earlier interrupted runs completed now")
    started_at: datetime


def _out(p: Payout) -> dict[str, Any]:
    data = {name: getattr(p, name) for name in PayoutOut.model_fields}
    data["status"] = p.status.value
    return PayoutOut.model_validate(data).model_dump(mode="json")


@api_route(
    "GET",
    "/payouts",
    summary="Payouts (closer: your own; admin: everyone's)",
    auth=("closer", "admin"),
    query=PayoutQuery,
    response=Page[PayoutOut],
    tags=("money",),
)
def list_payouts(query: PayoutQuery) -> dict[str, Any]:
    """Newest first. A closer asking for another closer's payouts gets a 403."""
    stmt = payout_batches.payouts_query(current_api_user(), closer_id=query.closer_id, status=query.status)
    if query.currency:
        stmt = stmt.where(Payout.currency == query.currency.upper())
    return paginate(db.session, stmt, Payout.id, query, _out, descending=True)


@api_route(
    "POST",
    "/payouts/run",
    summary="Run payouts now (admin)",
    auth=("admin",),
    response=PayoutRunOut,
    status=201,
    idempotent=True,
    tags=("money",),
)
def run_payouts_now(**_: Any) -> PayoutRunOut:
    """Pays every closer whose available balance reaches `PAYOUT_MINIMUM`: one Stripe transfer per closer and
    currency (idempotency key `payout-<id>`), or, in manual mode, payouts recorded for the bank batch.
    Safe to call while another run is going on: nobody is paid twice."""
    now = clock.utcnow()
    report = run_payouts(db.session, now, triggered_by=current_api_user(), read_clock=clock.utcnow)
    return PayoutRunOut.model_validate({**report.as_dict(), "started_at": now})


__all__ = ["PayoutStatus"]
