"""API schemas of closers: profile, public card, availability and slots.

The inputs check shapes and types; the rules (ISO 639-1 codes, industries, 10–20 %,
phone numbers, https links, overlapping intervals…) are checked by the services, which
the HTML pages call too, so both answer the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from closerhub.api.schemas import InModel, OutModel, QueryModel, TimeZoneName, UTCInstant
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.closers.rules import DEFAULTS

Level = Literal["native", "fluent", "working"]
ShortText = Annotated[str, StringConstraints(max_length=500)]
HHMM = Annotated[str, StringConstraints(max_length=5), Field(examples=["09:00"], description="HH:MM, end may be 24:00")]


class LanguageIn(InModel):
    code: str = Field(max_length=8, description="ISO 639-1 code", examples=["fr"])
    level: Level = "fluent"


class CloserProfileIn(InModel):
    """The whole profile (PUT replaces it: an omitted optional field is cleared)."""

    headline: str = Field("", max_length=1000, description="At most 140 characters")
    bio: str = Field("", max_length=20000, description="At most 5000 characters")
    languages: list[Annotated[str, StringConstraints(max_length=8)] | LanguageIn] = Field(
        default_factory=list,
        max_length=50,
        description='ISO 639-1 codes (`["en", "fr"]`, level fluent) or `[{"code": "fr", "level": "native"}]`',
    )
    industries: list[Annotated[str, StringConstraints(max_length=40)]] = Field(default_factory=list, max_length=50)
    timezone: TimeZoneName = Field(description="IANA zone; also the account's zone and that of the weekly hours")
    min_rate_bps: int = Field(
        description="Lowest commission accepted, in basis points",
        json_schema_extra={"minimum": RATE_MIN_BPS, "maximum": RATE_MAX_BPS},
        examples=[1500],
    )
    phone: ShortText | None = Field(None, description="Any format; stored E.164 (the zone's country is the hint)")
    meeting_url: ShortText | None = Field(None, description="https link; required when meeting_mode is own_url")
    years_experience: int = Field(0, json_schema_extra={"minimum": 0, "maximum": 80})
    meeting_mode: Literal["generated_room", "own_url"] = "generated_room"


class LanguageOut(OutModel):
    code: str
    name: str = Field(description="English name of the language")
    level: Level


class StatsOut(OutModel):
    appointments: int
    show_rate: float | None = Field(description="0–1, null until the closer has calls")
    close_rate: float | None = Field(description="0–1, null until the closer has calls")


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
    date: Annotated[str, StringConstraints(max_length=10)] = Field(examples=["2026-12-24"])
    intervals: list[IntervalIn] = Field(default_factory=list, description="Replace the weekly hours; empty = day off")


class TimeOffIn(InModel):
    start: Annotated[str, StringConstraints(max_length=40)] = Field(examples=["2026-08-01T00:00:00+02:00"])
    end: Annotated[str, StringConstraints(max_length=40)]
    reason: str = Field("", max_length=1000)


class AvailabilityIn(InModel):
    """The closer's whole availability; PUT replaces it. Times are wall-clock in ``timezone``."""

    timezone: TimeZoneName | None = Field(None, description="Omitted: keep your zone; given: also your profile zone")
    slot_minutes: int = Field(DEFAULTS["slot_minutes"], description="15–240")
    buffer_minutes: int = Field(DEFAULTS["buffer_minutes"], description="Free time kept around each booked call")
    min_notice_minutes: int = DEFAULTS["min_notice_minutes"]
    horizon_days: int = Field(DEFAULTS["horizon_days"], description="1–365")
    max_per_day: int | None = Field(DEFAULTS["max_per_day"], description="1–48 calls, null = no cap")
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


class SlotOut(OutModel):
    start: UTCInstant
    end: UTCInstant
    local_start: str = Field(examples=["2026-12-01T09:00:00-05:00"], description="Start in `timezone`")
    closer_local_start: str = Field(description="Start in the closer's zone")


class SlotsOut(OutModel):
    timezone: str
    closer_timezone: str
    slot_minutes: int
    slots: list[SlotOut]
