"""API schemas of leads: the prospect a business hands to its closers, and the context for the call.

Inputs check shapes and types; the rules (a valid email, a phone number in international
format, a known IANA zone, the length of each field) are checked by ``booking.leads``, the
same cleaner the HTML form, the CSV import and the booking pages use, so all answer alike.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, WithJsonSchema

from closerhub.api.schema_docs import EMAIL_SCHEMA, NAME_PATTERN, documented_text, vocabulary
from closerhub.api.schemas import InModel, Language, OutModel, PageQuery, UTCInstant
from closerhub.leads.cleaning import BUDGET_MAX, CONTEXT_TEXT_MAX, EMAIL_MAX, NAME_MAX, PHONE_MAX_INPUT, SOURCE_MAX
from closerhub.leads.commands import LeadDetails

# Generous shape bounds: the service gives the precise per-field limits and messages; the
# document states those precise limits (``documented_text``).
Text = Annotated[str, StringConstraints(max_length=20000)]
Short = Annotated[str, StringConstraints(max_length=1000)]
ContextText = Annotated[Text, documented_text(CONTEXT_TEXT_MAX)]
LeadName = Annotated[Short, documented_text(NAME_MAX, NAME_PATTERN, minLength=1)]
LeadEmail = Annotated[Short, WithJsonSchema({**EMAIL_SCHEMA, "maxLength": EMAIL_MAX})]
LeadPhone = Annotated[
    Short,
    WithJsonSchema(
        {
            "type": "string",
            "format": "phone",
            "pattern": r"^\+[1-9][0-9 ]{5,20}$",
            "maxLength": PHONE_MAX_INPUT,
            "description": "A valid international number with its country code; stored as E.164",
        }
    ),
]
LeadZone = Annotated[Short, vocabulary("TimeZoneName")]
Source = Annotated[Short, documented_text(SOURCE_MAX)]


class LeadContextIn(InModel):
    """What the closer reads before the call (each optional, plain text)."""

    needs: ContextText | None = Field(None, description="What the prospect wants to achieve")
    motivations: ContextText | None = Field(None, description="Why now; what is at stake")
    blockers: ContextText | None = Field(None, description="Objections, doubts")
    budget: Annotated[Short, documented_text(BUDGET_MAX)] | None = Field(None, description="Free text, e.g. `3-5k EUR`")
    decision_makers: ContextText | None = Field(None, description="Who else decides or signs")
    notes: ContextText | None = Field(None, description="Notes from the setter")


class LeadIn(InModel):
    """A new lead. The email is the lead's key within the business (a known email is a 409)."""

    name: LeadName = Field(examples=["Ada Lovelace"])
    email: LeadEmail = Field(examples=["ada@example.com"])
    phone: LeadPhone | None = Field(None, examples=["+33612345678"])
    timezone: LeadZone = Field(description="IANA time zone of the prospect", examples=["America/New_York"])
    language: Language = Field("en", description="Language of the emails the lead gets")
    source: Source | None = Field(None, description="Where the lead came from", examples=["webinar"])
    context: LeadContextIn = Field(default_factory=LeadContextIn)  # type: ignore[arg-type]

    def details(self, *, sent_only: bool = True) -> LeadDetails:
        """The service's command. ``sent_only``: the fields the client sent (a left-out language is
        not given); otherwise the defaults too (``language`` ``en``), as a booking has always read them."""
        return _details(self, sent_only=sent_only)


class LeadPatch(InModel):
    """Only the fields given change; `null` clears an optional field (phone, source, context items)."""

    # name, email, timezone and language cannot be cleared: documented as non-null.
    name: Annotated[LeadName | None, documented_text(NAME_MAX, NAME_PATTERN, minLength=1)] = None
    email: Annotated[LeadEmail | None, WithJsonSchema({**EMAIL_SCHEMA, "maxLength": EMAIL_MAX})] = None
    phone: LeadPhone | None = None
    timezone: Annotated[LeadZone | None, vocabulary("TimeZoneName")] = None
    language: Annotated[Language | None, WithJsonSchema({"type": "string", "enum": ["en", "fr"]})] = None
    source: Source | None = None
    context: LeadContextIn | None = None

    def details(self) -> LeadDetails:
        """The service's command: only the fields sent change (``given``); ``null`` clears an optional one."""
        return _details(self, sent_only=True, partial=True)


def _details(body: LeadIn | LeadPatch, *, sent_only: bool, partial: bool = False) -> LeadDetails:
    """A body as ``LeadDetails``: the context flattened (a ``null`` context changes nothing); the
    identity fields sent as ``null`` (PATCH) are blank, which the service refuses as missing."""
    sent = body.model_dump(exclude_unset=sent_only, exclude_none=not sent_only)
    context = sent.pop("context", None) or {}
    flat: dict[str, Any] = {**sent, **context}
    for key in ("name", "email", "timezone"):
        if key in flat and flat[key] is None:
            flat[key] = ""
    return LeadDetails(**flat, given=frozenset(flat) if partial else None)


class LeadContextOut(OutModel):
    needs: str
    motivations: str
    blockers: str
    budget: str
    decision_makers: str
    notes: str


class SmsConsentOut(OutModel):
    given_at: UTCInstant = Field(description="When the prospect ticked the booking page's SMS box")
    text: str = Field(description="The words they agreed to, as shown (in the page's language)")


class LeadOut(OutModel):
    id: int
    business_id: int
    name: str
    email: str
    phone: str | None = Field(description="E.164, e.g. +33612345678")
    timezone: str
    language: str
    source: str
    context: LeadContextOut
    sms_consent: SmsConsentOut | None = Field(
        None,
        description="SMS reminders go only to consented E.164 numbers; null without a consent for the lead's number",
    )
    created_at: UTCInstant
    updated_at: UTCInstant


class LeadQuery(PageQuery):
    q: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Search names and emails (case-insensitive, part of a word)"
    )


class ImportRowErrorOut(OutModel):
    line: int = Field(description="Line of the row in the file (the header is line 1)")
    errors: list[dict[str, str]] = Field(description="`{field, message}` per bad column, named as in the file")


class ImportReportOut(OutModel):
    rows: int
    created: int
    updated: int = Field(description="Rows that updated a known lead (same email), including earlier rows of the file")
    rejected: list[ImportRowErrorOut]
    ignored_columns: list[str]
