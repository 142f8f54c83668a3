"""API schemas of businesses: the profile, offers, the team, engagements.

Inputs check shapes and types; the rules (price above zero, at most 10 booking
questions, 10–20 % and the closer's minimum, legal transitions…) are checked by the
services the HTML pages call too, so both answer the same way.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from closerhub.api.schema_docs import NAME_PATTERN, documented_text, vocabulary
from closerhub.api.schemas import (
    CurrencyCode,
    Email,
    InModel,
    Language,
    Name,
    OutModel,
    PageQuery,
    TimeZoneName,
    UTCInstant,
)
from closerhub.businesses.brand import EMBED_ORIGINS_MAX
from closerhub.businesses.models import BOOKING_QUESTIONS_MAX
from closerhub.businesses.offers import (
    CALL_MINUTES_RANGE,
    DEFAULT_CALL_MINUTES,
    DEFAULT_START_INCREMENT,
    DESCRIPTION_MAX,
    NOTES_MAX,
    QUESTION_MAX,
    SALES_CYCLE_MAX_DAYS,
    SCRIPT_MAX,
)
from closerhub.businesses.service import PROSPECT_LANGUAGES_MAX, PROSPECT_TIMEZONES_MAX
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.core.availability import START_INCREMENTS
from closerhub.core.money import MAX_MINOR_UNITS

LongText = Annotated[str, StringConstraints(max_length=20000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]

# --- offers ----------------------------------------------------------------------------


class PriceIn(InModel):
    """A price in minor units; ``currency`` defaults to the business's currency."""

    amount: int = Field(
        ge=-MAX_MINOR_UNITS,
        le=MAX_MINOR_UNITS,
        description="Minor units, above zero",
        examples=[250000],
        json_schema_extra={"minimum": 1},  # the service refuses a free or negative offer
    )
    currency: CurrencyCode | None = Field(None, description="ISO 4217; defaults to the business's currency")


class MoneyOut(OutModel):
    amount: int = Field(description="Minor units (cents)")
    currency: str


class OfferIn(InModel):
    """The whole offer (PUT replaces it: an omitted optional field is cleared)."""

    # Generous bounds here; the service gives the precise limits (stated in the document).
    name: Annotated[str, StringConstraints(max_length=1000), documented_text(120, NAME_PATTERN, minLength=1)]
    price: PriceIn
    description: Annotated[LongText, documented_text(DESCRIPTION_MAX)] = ""
    sales_cycle_days: int | None = Field(
        None,
        description="Typical days from first call to signature",
        json_schema_extra={"minimum": 0, "maximum": SALES_CYCLE_MAX_DAYS},
    )
    closing_script: Annotated[LongText, documented_text(SCRIPT_MAX)] = Field(
        "", description="The call guide the closer follows"
    )
    qualification_notes: Annotated[LongText, documented_text(NOTES_MAX)] = ""
    booking_questions: list[
        Annotated[str, StringConstraints(max_length=1000), documented_text(QUESTION_MAX, NAME_PATTERN, minLength=1)]
    ] = Field(
        default_factory=list,
        max_length=50,
        description="Short, distinct one-line questions the booking page asks",
        json_schema_extra={"maxItems": BOOKING_QUESTIONS_MAX, "uniqueItems": True},
    )
    active: bool = True
    calls_recorded: bool = Field(
        False, description="Calls are recorded: the booking page says so and asks for consent where every party must"
    )
    call_minutes: int = Field(
        DEFAULT_CALL_MINUTES,
        description="The call's length, whichever closer takes it",
        json_schema_extra={"minimum": CALL_MINUTES_RANGE[0], "maximum": CALL_MINUTES_RANGE[1]},
    )
    start_increment_minutes: int = Field(
        DEFAULT_START_INCREMENT,
        description="Minutes between the start times offered (e.g. 45-minute calls starting every 15)",
        json_schema_extra={"enum": list(START_INCREMENTS)},
    )


class OfferOut(OutModel):
    id: int
    business_id: int
    name: str
    price: MoneyOut
    description: str
    sales_cycle_days: int | None
    closing_script: str
    qualification_notes: str
    booking_questions: list[str]
    active: bool
    calls_recorded: bool
    call_minutes: int
    start_increment_minutes: int
    booking_key: str = Field(description="Public key of the offer's booking page")
    created_at: UTCInstant
    updated_at: UTCInstant


class OfferQuery(PageQuery):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) offers")


# --- team ------------------------------------------------------------------------------


class MemberOut(OutModel):
    id: int = Field(description="The seat's id (remove with DELETE /businesses/me/members/{id})")
    user_id: int
    name: str
    email: str
    role: Literal["owner", "member"]
    joined_at: UTCInstant


class InvitationIn(InModel):
    email: Email
    language: Language = Field("en", description="Language of the invitation email")


class InvitationOut(OutModel):
    id: int
    email: str
    language: str
    status: Literal["pending", "accepted", "revoked", "expired"]
    created_at: UTCInstant
    expires_at: UTCInstant


# --- engagements -----------------------------------------------------------------------

RateBps = Annotated[
    int,
    Field(
        description="Commission in basis points: 1000–2000 and at least the closer's `min_rate_bps`",
        json_schema_extra={"minimum": RATE_MIN_BPS, "maximum": RATE_MAX_BPS},
        examples=[1500],
    ),
]


CommissionBasisField = Literal["contract_value", "cash_collected"]


class EngagementIn(InModel):
    closer_id: int
    offer_id: int
    commission_rate_bps: RateBps
    commission_basis: CommissionBasisField = Field(
        default="contract_value",
        description="contract_value: commission on the deal value at confirmation; cash_collected: "
        "commission accrues as each instalment is collected (running-total rounding)",
    )


class DeclineIn(InModel):
    reason: Reason = Field(description="Why the closer declines (required; the business reads it)")


class EndIn(InModel):
    reason: Reason | None = None


class RateChangeIn(InModel):
    commission_rate_bps: RateBps
    commission_basis: CommissionBasisField | None = Field(
        default=None, description="New terms' basis; omitted: the current engagement's"
    )


class PartyOut(OutModel):
    id: int
    name: str


class CloserPartyOut(PartyOut):
    timezone: str


class BusinessPartyOut(PartyOut):
    website: str | None
    industry: str | None
    timezone: str
    prospect_languages: list[str]
    prospect_timezones: list[str]


class EngagementOfferOut(OutModel):
    """What the closer reads before accepting."""

    id: int
    name: str
    price: MoneyOut
    description: str
    sales_cycle_days: int | None
    closing_script: str
    qualification_notes: str
    booking_questions: list[str]
    active: bool


class EngagementOut(OutModel):
    id: int
    status: Literal["proposed", "active", "declined", "withdrawn", "ended"]
    commission_rate_bps: int
    commission_basis: CommissionBasisField
    can_book: bool = Field(description="True when calls can be booked (status active and the offer active)")
    closer: CloserPartyOut
    business: BusinessPartyOut
    offer: EngagementOfferOut
    previous_id: int | None = Field(description="The engagement this one replaces (a rate change)")
    proposed_at: UTCInstant
    proposed_by_id: int | None
    accepted_at: UTCInstant | None
    declined_at: UTCInstant | None
    decline_reason: str | None
    withdrawn_at: UTCInstant | None
    withdrawn_by_id: int | None
    ended_at: UTCInstant | None
    ended_by_id: int | None
    end_reason: str | None


class EngagementQuery(PageQuery):
    status: Literal["proposed", "active", "declined", "withdrawn", "ended"] | None = None
    offer_id: int | None = None
    closer_id: int | None = None


# --- businesses ------------------------------------------------------------------------


class BusinessIn(InModel):
    """The whole profile (PUT replaces it: an omitted optional field is cleared)."""

    name: Name
    website: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=255),
            WithJsonSchema({"type": "string", "maxLength": 255, "pattern": r"^(https?://)?[A-Za-z0-9.-]+(/[!-~]*)?$"}),
        ]
        | None
    ) = Field(None, description="An http(s) address; `https://` is added when no scheme is given")
    timezone: TimeZoneName
    currency: CurrencyCode
    industry: Annotated[str, StringConstraints(max_length=40), vocabulary("Industry")] | None = Field(
        None, description="Slug of an industry, as in closer profiles", examples=["coaching"]
    )
    prospect_languages: list[Annotated[str, StringConstraints(max_length=8), vocabulary("LanguageCode")]] = Field(
        default_factory=list,
        max_length=50,
        description="ISO 639-1 codes your prospects speak",
        json_schema_extra={"maxItems": PROSPECT_LANGUAGES_MAX},
    )
    prospect_timezones: list[Annotated[str, StringConstraints(max_length=64), vocabulary("TimeZoneName")]] = Field(
        default_factory=list,
        max_length=50,
        description="IANA zones your prospects live in",
        json_schema_extra={"maxItems": PROSPECT_TIMEZONES_MAX},
    )
    brand_color: (
        Annotated[
            str,
            StringConstraints(max_length=7),
            WithJsonSchema({"type": "string", "pattern": r"^#([0-9a-fA-F]{3}){1,2}$"}),
        ]
        | None
    ) = Field(
        None,
        description="The booking pages' colour, `#rrggbb`, at least 4.5:1 (WCAG AA) with white and with the "
        "page background `#f6f7fb` (else 422 naming the ratio and the nearest passing shade)",
        examples=["#1d4ed8"],
    )
    logo_url: (
        Annotated[
            str,
            StringConstraints(max_length=500),
            WithJsonSchema(
                {
                    "type": "string",
                    "maxLength": 500,
                    "pattern": r"^https://[a-z0-9]+(\.[a-z0-9]+)*(:[1-9][0-9]{0,3})?(/[!#-&(-;=?-\[\]-~]*)?$",
                }
            ),
        ]
        | None
    ) = Field(None, description="The logo shown on the booking pages (https; http outside production)")
    embed_origins: list[
        Annotated[
            str,
            StringConstraints(max_length=255),
            WithJsonSchema(
                {
                    "type": "string",
                    "maxLength": 80,
                    "pattern": r"^https://[a-z0-9]{1,20}(\.[a-z0-9]{1,20}){0,3}(:[1-9][0-9]{0,3})?$",
                }
            ),
        ]
    ] = Field(
        default_factory=list,
        max_length=50,
        description="Exact origins (`https://www.example.com`) whose pages may frame `/book/{key}?embed=1`; "
        "no wildcards; `http://` and loopback origins accepted outside production",
        json_schema_extra={"maxItems": EMBED_ORIGINS_MAX},
    )


class BusinessOut(OutModel):
    id: int
    name: str
    website: str | None
    timezone: str
    currency: str
    industry: str | None = None
    prospect_languages: list[str] = Field(default_factory=list)
    prospect_timezones: list[str] = Field(default_factory=list)
    brand_color: str | None = None
    logo_url: str | None = None
    embed_origins: list[str] = Field(default_factory=list)
    created_at: UTCInstant
