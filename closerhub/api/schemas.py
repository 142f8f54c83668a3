"""Pydantic models of the JSON API: they validate requests, shape responses and feed OpenAPI.

Inputs (``InModel``) are strict and closed: an unknown field, a float or a string where
an integer is expected, or a naive datetime is a 422, never a silent coercion. Outputs
(``OutModel``) read ORM objects (``from_attributes``) and write instants as UTC ``...Z``.
The services check the business rules again; these models give the early, per-field
answer and the documentation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from closerhub.accounts import passwords
from closerhub.accounts.models import Role
from closerhub.api.schema_docs import EMAIL_SCHEMA, NAME_PATTERN, vocabulary
from closerhub.core.errors import ValidationError as DomainValidationError
from closerhub.core.i18n import _
from closerhub.core.money import MAX_MINOR_UNITS, currency_exponent
from closerhub.core.tz import is_valid_zone

# --- reusable field types --------------------------------------------------------------


def utc_z(value: datetime) -> str:
    """An aware instant as ``2026-12-01T09:00:00Z`` (UTC, whole seconds)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _known_zone(value: str) -> str:
    if not is_valid_zone(value):
        raise PydanticCustomError("time_zone", _("Unknown time zone; use an IANA name such as Europe/Paris."))
    return value


def _known_currency(value: str) -> str:
    try:
        currency_exponent(value.upper())
    except DomainValidationError:
        raise PydanticCustomError("currency", _("Unknown currency; use an ISO 4217 code such as EUR.")) from None
    return value.upper()


#: An instant in a response: always UTC with a ``Z`` suffix.
UTCInstant = Annotated[
    datetime,
    PlainSerializer(utc_z, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T09:00:00Z"]}),
]
#: An instant in a request: ISO 8601 with an offset (a naive time is refused), normalised to UTC.
AwareInstant = Annotated[AwareDatetime, AfterValidator(_as_utc)]
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_known_zone),
    vocabulary("TimeZoneName"),
    Field(description="IANA time zone name", examples=["Europe/Paris"]),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(_known_currency),
    vocabulary("CurrencyCode"),
    Field(description="ISO 4217 currency code", examples=["EUR"]),
]


Email = Annotated[EmailStr, WithJsonSchema(EMAIL_SCHEMA)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 120, "pattern": NAME_PATTERN}),
]
Language = Literal["en", "fr"]


class InModel(BaseModel):
    """Base of request bodies: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """Base of query strings: values arrive as text, so types are coerced ("50" → 50)."""

    model_config = ConfigDict(extra="forbid", strict=False)


class OutModel(BaseModel):
    """Base of response bodies, built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


# --- common ----------------------------------------------------------------------------


class FieldError(OutModel):
    field: str = Field(description="Dotted path of the offending input, e.g. `lead.email`")
    message: str


class Problem(OutModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://closerhub.dev/problems/validation_error"])
    title: str
    status: int
    detail: str
    code: str | None = Field(None, description="Stable machine-readable code")
    errors: list[FieldError] = Field(default_factory=list)


class Money(InModel):
    """An amount in minor units (cents) of an ISO 4217 currency. Never a float."""

    amount: int = Field(ge=-MAX_MINOR_UNITS, le=MAX_MINOR_UNITS, examples=[150000])
    currency: CurrencyCode


class PageQuery(QueryModel):
    """``?limit=&cursor=`` of every list endpoint."""

    limit: int = Field(50, ge=1, le=200, description="Items per page (1 to 200)")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")


T = TypeVar("T")


class Page(OutModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``?cursor=`` until it is null."""

    data: list[T]
    next_cursor: str | None


# --- accounts --------------------------------------------------------------------------


class SignupIn(InModel):
    # A business signs up with its business's name: stated in the document as a conditional.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"role": {"const": "business"}}, "required": ["role"]},
            "then": {"required": ["business_name"], "properties": {"business_name": {"type": "string"}}},
        }
    )

    email: Email
    password: str = Field(min_length=passwords.MIN_LENGTH, max_length=passwords.MAX_LENGTH)
    name: Name
    role: Literal["closer", "business"]
    timezone: TimeZoneName
    business_name: Name | None = Field(None, description="Required when role is business")
    language: Language = "en"


class TokenIn(InModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    name: str | None = Field(None, min_length=1, max_length=80, description="Label of the new token")


class UserOut(OutModel):
    id: int
    email: str
    name: str
    role: Role
    timezone: str
    language: str
    business_id: int | None
    created_at: UTCInstant
    email_verified: Annotated[bool, BeforeValidator(lambda at: at is not None)] = Field(
        validation_alias="email_verified_at",  # read from the timestamp; only whether it is set is shown
        description="Whether the user has confirmed their current email address (the link emailed at sign-up)",
    )


class TokenOut(OutModel):
    token: str = Field(description="The bearer secret; shown once, store it safely")
    expires_at: UTCInstant
    user: UserOut


class ApiTokenIn(InModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ApiTokenOut(OutModel):
    id: int
    name: str
    prefix: str = Field(description="First characters of the secret, to recognise it")
    created_at: UTCInstant
    expires_at: UTCInstant
    last_used_at: UTCInstant | None
    revoked_at: UTCInstant | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(description="The bearer secret; shown once, store it safely")


def dump(model: BaseModel) -> dict[str, Any]:
    """A response model as JSON-ready data."""
    return model.model_dump(mode="json")
