"""API schemas of closers: profile, public card, availability and slots.

The inputs check shapes and types; the rules (ISO 639-1 codes, industries, 10–20 %,
phone numbers, https links, overlapping intervals…) are checked by the services, which
the HTML pages call too, so both answer the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, WithJsonSchema
from pydantic.json_schema import JsonDict

from closerhub.api.schema_docs import documented_text, vocabulary
from closerhub.api.schemas import InModel, OutModel, QueryModel, TimeZoneName, UTCInstant
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.closers.profile_fields import BIO_MAX, HEADLINE_MAX, LANGUAGES_MAX, iso_639_1_codes
from closerhub.closers.rules import DEFAULTS
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.availability import (
    HORIZON_DAYS_RANGE,
    MAX_BUFFER_MINUTES,
    MAX_NOTICE_MINUTES,
    MAX_PER_DAY_RANGE,
    SLOT_MINUTES_RANGE,
)

Level = Literal["native", "fluent", "working"]
ShortText = Annotated[str, StringConstraints(max_length=500)]
HHMM = Annotated[
    str,
    StringConstraints(max_length=5),
    WithJsonSchema({"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"}),
    Field(examples=["09:00"], description="HH:MM, end may be 24:00"),
]


PHONE_SCHEMA = {"type": "string", "format": "phone", "pattern": r"^\+[1-9][0-9 ]{5,20}$"}
HTTPS_URL_SCHEMA = {"type": "string", "maxLength": 500, "pattern": "^https://[!-~]+$"}
DATE_SCHEMA = {"type": "string", "format": "date"}


def _between(low: int, high: int) -> JsonDict:
    """The range the service checks, for the document."""
    return {"minimum": low, "maximum": high}


class LanguageIn(InModel):
    code: Annotated[str, vocabulary("LanguageCode")] = Field(
        max_length=8, description="ISO 639-1 code", examples=["fr"]
    )
    level: Level = "fluent"


class CloserProfileIn(InModel):
    """The whole profile (PUT replaces it: an omitted optional field is cleared)."""

    # Generous bounds here; the service gives the precise limits (stated in the document).
    headline: Annotated[str, StringConstraints(max_length=1000), documented_text(HEADLINE_MAX)] = ""
    bio: Annotated[str, StringConstraints(max_length=20000), documented_text(BIO_MAX)] = ""
    languages: list[Annotated[str, StringConstraints(max_length=8), vocabulary("LanguageCode")] | LanguageIn] = Field(
        default_factory=list,
        max_length=50,
        description='ISO 639-1 codes (`["en", "fr"]`, level fluent) or `[{"code": "fr", "level": "native"}]`',
        json_schema_extra={"maxItems": LANGUAGES_MAX},
    )
    industries: list[Annotated[str, StringConstraints(max_length=40), vocabulary("Industry")]] = Field(
        default_factory=list, max_length=50
    )
    timezone: TimeZoneName = Field(description="IANA zone; also the account's zone and that of the weekly hours")
    min_rate_bps: int = Field(
        description="Lowest commission accepted, in basis points",
        json_schema_extra={"minimum": RATE_MIN_BPS, "maximum": RATE_MAX_BPS},
        examples=[1500],
    )
    phone: Annotated[ShortText, WithJsonSchema(PHONE_SCHEMA)] | None = Field(
        None, description="A valid number in any format; stored E.164 (the zone's country is the hint)"
    )
    meeting_url: Annotated[ShortText, WithJsonSchema(HTTPS_URL_SCHEMA)] | None = Field(
        None, description="https link; required when meeting_mode is own_url"
    )
    years_experience: int = Field(0, json_schema_extra={"minimum": 0, "maximum": 80})
    meeting_mode: Literal["generated_room", "own_url"] = "generated_room"
    photo_url: Annotated[ShortText, WithJsonSchema(HTTPS_URL_SCHEMA)] | None = Field(
        None, description="https address of your photo, shown to prospects on booking pages"
    )


class LanguageOut(OutModel):
    code: str
    name: str = Field(description="English name of the language")
    level: Level


class StatsOut(OutModel):
    appointments: int
    show_rate: float | None = Field(description="0–1, null until the closer has calls")
    close_rate: float | None = Field(description="0–1, null until the closer has calls")
    closer_no_shows: int = Field(0, description="Calls the closer missed (reported, then confirmed by an admin)")


class CloserOut(OutModel):
    """A closer as businesses see them (the search list uses the same item shape)."""

    id: int = Field(description="The closer's user id")
    name: str
    headline: str
    bio: str
    languages: list[LanguageOut]
    industries: list[str]
    timezone: str
    local_time: str = Field(description="Current wall-clock time in the closer's zone, with offset")
    min_rate_bps: int
    years_experience: int
    meeting_mode: str
    photo_url: str | None = None
    rating: float | None
    stats: StatsOut
    next_available_at: UTCInstant | None
    score: float | None = Field(None, description="Search rank score; null outside a search")


class CloserProfileOut(CloserOut):
    """Your own profile, with the private fields."""

    phone: str | None = Field(description="E.164")
    meeting_url: str | None
    updated_at: UTCInstant


class IntervalIn(InModel):
    start: HHMM
    end: HHMM


class WeeklyIntervalIn(InModel):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    start: HHMM
    end: HHMM


class OverrideIn(InModel):
    date: Annotated[str, StringConstraints(max_length=10), WithJsonSchema(DATE_SCHEMA)] = Field(examples=["2026-12-24"])
    intervals: list[IntervalIn] = Field(default_factory=list, description="Replace the weekly hours; empty = day off")


class TimeOffIn(InModel):
    start: Annotated[str, StringConstraints(max_length=40)] = Field(examples=["2026-08-01T00:00:00+02:00"])
    end: Annotated[str, StringConstraints(max_length=40)]
    reason: str = Field("", max_length=1000)


class AvailabilityIn(InModel):
    """The closer's whole availability; PUT replaces it. Times are wall-clock in ``timezone``."""

    timezone: TimeZoneName | None = Field(None, description="Omitted: keep your zone; given: also your profile zone")
    # The service checks the ranges (its own messages); the document states them.
    slot_minutes: int = Field(DEFAULTS["slot_minutes"], json_schema_extra=_between(*SLOT_MINUTES_RANGE))
    buffer_minutes: int = Field(
        DEFAULTS["buffer_minutes"],
        description="Free time kept around each booked call",
        json_schema_extra=_between(0, MAX_BUFFER_MINUTES),
    )
    min_notice_minutes: int = Field(DEFAULTS["min_notice_minutes"], json_schema_extra=_between(0, MAX_NOTICE_MINUTES))
    horizon_days: int = Field(DEFAULTS["horizon_days"], json_schema_extra=_between(*HORIZON_DAYS_RANGE))
    max_per_day: int | None = Field(
        DEFAULTS["max_per_day"],
        description="Calls per day, null = no cap",
        json_schema_extra=_between(*MAX_PER_DAY_RANGE),
    )
    weekly: list[WeeklyIntervalIn] = Field(default_factory=list, max_length=200)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=400)
    time_off: list[TimeOffIn] | None = Field(None, max_length=200, description="Omitted or null: keep the current list")


class TimeOffOut(OutModel):
    id: int
    start: UTCInstant
    end: UTCInstant
    reason: str


class AvailabilityOut(OutModel):
    timezone: str
    slot_minutes: int
    buffer_minutes: int
    min_notice_minutes: int
    horizon_days: int
    max_per_day: int | None
    weekly: list[WeeklyIntervalIn]
    overrides: list[OverrideIn]
    time_off: list[TimeOffOut]


class SlotsQuery(QueryModel):
    from_: date | None = Field(None, alias="from", description="First date in `timezone` (default: today)")
    to: date | None = Field(None, description="Last date, inclusive (default: from + 13 days; at most 62 days)")
    timezone: TimeZoneName | None = Field(None, description="The viewer's zone (default: yours)")
    offer_id: int | None = Field(
        None,
        description="This offer's calls (its `call_minutes`, starting every `start_increment_minutes`) cut out "
        "of the closer's availability; omitted: the closer's own slots (`slot_minutes`). "
        "An offer you cannot see is a 404.",
    )


class SlotOut(OutModel):
    start: UTCInstant
    end: UTCInstant
    local_start: str = Field(examples=["2026-12-01T09:00:00-05:00"], description="Start in `timezone`")
    closer_local_start: str = Field(description="Start in the closer's zone")


class SlotsOut(OutModel):
    timezone: str
    closer_timezone: str
    slot_minutes: int = Field(description="The length of each slot: the offer's `call_minutes` with `offer_id`")
    start_increment_minutes: int = Field(description="Minutes between the starts offered")
    offer_id: int | None = None
    slots: list[SlotOut]


def _industries() -> dict[str, Any]:
    return {"type": "string", "description": "Industry slug", "enum": sorted(INDUSTRIES)}


def _languages() -> dict[str, Any]:
    return {
        "type": "string",
        "description": "ISO 639-1 language code (case-insensitive)",
        "enum": sorted(iso_639_1_codes()),
    }


#: The named lists of ``vocabulary`` markers (closers', businesses', matching's fields).
VOCABULARIES: dict[str, Callable[[], dict[str, Any]]] = {"Industry": _industries, "LanguageCode": _languages}
