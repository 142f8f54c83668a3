"""API schemas of leads: the prospect a business hands to its closers, and the context for the call.

Inputs check shapes and types; the rules (a valid email, a phone number in international
format, a known IANA zone, the length of each field) are checked by ``booking.leads``, the
same cleaner the HTML form, the CSV import and the booking pages use, so all answer alike.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from closerhub.api.schemas import InModel, Language, OutModel, PageQuery, UTCInstant

# Generous shape bounds: the service gives the precise per-field limits and messages.
Text = Annotated[str, StringConstraints(max_length=20000)]
Short = Annotated[str, StringConstraints(max_length=1000)]


class LeadContextIn(InModel):
    """What the closer reads before the call (each optional, plain text)."""

    needs: Text | None = Field(None, description="What the prospect wants to achieve (≤ 5000 characters)")
    motivations: Text | None = Field(None, description="Why now; what is at stake")
    blockers: Text | None = Field(None, description="Objections, doubts")
    budget: Short | None = Field(None, description="Free text, e.g. `3-5k EUR` (≤ 200 characters)")
    decision_makers: Text | None = Field(None, description="Who else decides or signs")
    notes: Text | None = Field(None, description="Notes from the setter")


class LeadIn(InModel):
    """A new lead. The email is the lead's key within the business (a known email is a 409)."""

    name: Short = Field(description="≤ 120 characters", examples=["Ada Lovelace"])
    email: Short = Field(examples=["ada@example.com"])
    phone: Short | None = Field(
        None, description="International format with the country code; stored as E.164", examples=["+33612345678"]
    )
    timezone: Short = Field(description="IANA time zone of the prospect", examples=["America/New_York"])
    language: Language = Field("en", description="Language of the emails the lead gets")
    source: Short | None = Field(None, description="Where the lead came from (≤ 120 characters)", examples=["webinar"])
    context: LeadContextIn = Field(default_factory=LeadContextIn)


class LeadPatch(InModel):
    """Only the fields given change; `null` clears an optional field (phone, source, context items)."""

    name: Short | None = None
    email: Short | None = None
    phone: Short | None = None
    timezone: Short | None = None
    language: Language | None = None
    source: Short | None = None
    context: LeadContextIn | None = None


class LeadContextOut(OutModel):
    needs: str
    motivations: str
    blockers: str
    budget: str
    decision_makers: str
    notes: str


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
