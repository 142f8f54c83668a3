"""API v1: a closer's payout details for manual mode (``GET``/``PUT /api/v1/closers/me/payout-details``).

Masked values only, ever: the same service as the payout setup page (validated, sealed,
audited, emailed to the closer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.api.schemas import InModel, OutModel, UTCInstant
from closerhub.core.errors import Conflict, NotFound
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.payments import payout_details
from closerhub.payments.gateway import get_gateway

SchemeName = Literal["iban", "us", "uk", "other"]


class PayoutDetailsIn(InModel):
    scheme: SchemeName
    holder: str = Field(max_length=200, description="Account holder's name")
    iban: str | None = Field(None, max_length=64, description="scheme iban")
    bic: str | None = Field(None, max_length=20, description="scheme iban (optional when known from the IBAN), other")
    routing_number: str | None = Field(None, max_length=20, description="scheme us: ABA routing number")
    sort_code: str | None = Field(None, max_length=20, description="scheme uk")
    account_number: str | None = Field(None, max_length=64, description="schemes us, uk, other")
    bank_name: str | None = Field(None, max_length=200, description="scheme other")
    country: str | None = Field(None, max_length=10, description="scheme other: ISO 3166-1 alpha-2")


class PayoutDetailsOut(OutModel):
    scheme: SchemeName
    country: str
    holder: str
    account: str = Field(description="Masked: the last four characters only")
    bank: str = Field(description="BIC, masked routing number or sort code, or bank name and BIC")
    updated_at: UTCInstant


def _out(row: object) -> PayoutDetailsOut:
    view = payout_details.public_view(row)  # type: ignore[arg-type]
    return PayoutDetailsOut.model_validate(view)


@api_route(
    "GET",
    "/closers/me/payout-details",
    summary="Your payout details (manual mode), masked",
    auth=("closer",),
    response=PayoutDetailsOut,
    tags=("money",),
)
def get_my_payout_details() -> PayoutDetailsOut:
    """404 until you have saved some."""
    row = payout_details.details_of(db.session, current_api_user().id)
    if row is None:
        raise NotFound(_("You have no payout details yet."))
    return _out(row)


@api_route(
    "PUT",
    "/closers/me/payout-details",
    summary="Replace your payout details (manual mode)",
    auth=("closer",),
    body=PayoutDetailsIn,
    response=PayoutDetailsOut,
    tags=("money",),
)
def put_my_payout_details(body: PayoutDetailsIn) -> PayoutDetailsOut:
    """Validated (IBAN and BIC with schwifty, ABA checksum), stored encrypted; the answer is masked.

    Every change is audited and emailed to you. In Stripe mode Stripe holds your bank details: 409.
    """
    if get_gateway().is_configured():
        raise Conflict(_("Payouts go through Stripe here: add your bank account in your Stripe payout setup."))
    now: datetime = clock.utcnow()
    row = payout_details.save(db.session, current_api_user(), body.model_dump(), now)
    return _out(row)
