"""API v1: a closer's payout details for manual mode (``GET``/``PUT /api/v1/closers/me/payout-details``).

Masked values only, ever: the same service as the payout setup page (validated, sealed,
audited, emailed to the closer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.api.schema_docs import NAME_PATTERN, VOCABULARY_KEY, documented_text
from closerhub.api.schemas import InModel, OutModel, UTCInstant
from closerhub.commands import errors_for
from closerhub.core.errors import Conflict, NotFound
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.details import bank_countries
from closerhub.payments.payouts.details_models import PayoutDetails
from closerhub.payments.stripe.gateway import get_gateway

SchemeName = Literal["iban", "us", "uk", "other"]


def _digits(count: str) -> str:
    """A number of ``count`` digits (a regex quantifier), with the spaces, dots and dashes people type ignored."""
    return rf"^[ .-]*(?:[0-9][ .-]*){{{count}}}$"


_BIC = {"type": "string", "format": "bic", "description": "BIC (SWIFT code): 8 or 11 letters and digits"}
#: Each scheme's own fields, as the service checks them (``payout_details.validate``); a field of
#: another scheme is ignored. ``format``: ``iban`` (valid check digits), ``bic`` (a known country
#: code), ``aba-routing-number`` (9 digits with the ABA check digit).
SCHEME_SCHEMAS: list[dict[str, Any]] = [
    {
        "title": "IBAN",
        "properties": {
            "scheme": {"type": "string", "const": "iban"},
            "iban": {"type": "string", "format": "iban", "maxLength": 64},
            "bic": {
                "anyOf": [_BIC, {"type": "null"}],
                "description": "Optional when the bank is known from the IBAN (its BIC is filled in); else required",
            },
        },
        "required": ["scheme", "iban"],
    },
    {
        "title": "US",
        "properties": {
            "scheme": {"type": "string", "const": "us"},
            "routing_number": {"type": "string", "format": "aba-routing-number", "maxLength": 20},
            "account_number": {"type": "string", "pattern": _digits("4,17"), "maxLength": 64},
        },
        "required": ["scheme", "routing_number", "account_number"],
    },
    {
        "title": "UK",
        "properties": {
            "scheme": {"type": "string", "const": "uk"},
            "sort_code": {"type": "string", "pattern": _digits("6"), "maxLength": 20},
            "account_number": {"type": "string", "pattern": _digits("8"), "maxLength": 64},
        },
        "required": ["scheme", "sort_code", "account_number"],
    },
    {
        "title": "Other",
        "properties": {
            "scheme": {"type": "string", "const": "other"},
            "account_number": {
                "type": "string",
                "pattern": r"^[ .-]*(?:[0-9A-Za-z][ .-]*){1,34}$",
                "maxLength": 64,
            },
            "bank_name": {"type": "string", "maxLength": payout_details.BANK_NAME_MAX, "pattern": NAME_PATTERN},
            "bic": _BIC,
            "country": {"type": "string", VOCABULARY_KEY: "BankCountry"},
        },
        "required": ["scheme", "account_number", "bank_name", "bic", "country"],
    },
]


def _one_scheme(schema: dict[str, Any]) -> None:
    # The model stays flat and generous so a wrong value reaches the service's per-field message;
    # the document states it as a union discriminated by ``scheme``: one closed object per scheme
    # with the fields that scheme requires and their rules.
    holder = schema["properties"]["holder"]
    branches = [
        {
            "type": "object",
            "title": branch["title"],
            "properties": {"scheme": branch["properties"]["scheme"], "holder": holder, **branch["properties"]},
            "required": [*branch["required"], "holder"],
            "additionalProperties": False,
        }
        for branch in SCHEME_SCHEMAS
    ]
    description = schema["description"]
    schema.clear()
    schema.update(title="PayoutDetailsIn", description=description, oneOf=branches)
    schema["examples"] = [
        {"scheme": "iban", "holder": "Claire Dupont", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
    ]


class PayoutDetailsIn(InModel):
    """The details of one scheme: `scheme` says which fields are required (spaces, dots, dashes in numbers ignored)."""

    model_config = ConfigDict(json_schema_extra=_one_scheme)

    scheme: SchemeName
    holder: Annotated[
        str,
        Field(max_length=200),
        documented_text(payout_details.HOLDER_MAX, NAME_PATTERN, description="Account holder's name"),
    ]
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


def _out(row: PayoutDetails) -> PayoutDetailsOut:
    return PayoutDetailsOut.model_validate(payout_details.public_view(row))


@api_route(
    "GET",
    "/closers/me/payout-details",
    summary="Your payout details (manual mode), masked",
    auth=("closer",),
    response=PayoutDetailsOut,
    tags=("money",),
    errors=(404,),
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
    errors=(409,),
)
def put_my_payout_details(body: PayoutDetailsIn) -> PayoutDetailsOut:
    """Validated (IBAN and BIC with schwifty, ABA checksum), stored encrypted; the answer is masked.

    Every change is audited and emailed to you. In Stripe mode Stripe holds your bank details: 409.
    """
    if get_gateway().is_configured():
        raise Conflict(_("Payouts go through Stripe here: add your bank account in your Stripe payout setup."))
    now: datetime = clock.utcnow()
    with errors_for(BankDetails, "api"):
        row = payout_details.save(db.session, current_api_user(), BankDetails(**body.model_dump()), now)
    return _out(row)


def _bank_countries() -> dict[str, Any]:
    return {
        "type": "string",
        "description": "ISO 3166-1 alpha-2 country code (case-insensitive)",
        "enum": sorted(bank_countries()),
    }


#: The named list of the ``BankCountry`` marker above.
VOCABULARIES: dict[str, Callable[[], dict[str, Any]]] = {"BankCountry": _bank_countries}
