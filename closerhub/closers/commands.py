"""Closer commands: the profile a closer saves (the HTML form and ``PUT /api/v1/closers/me/profile``)
and their availability (the availability page's forms and ``PUT /api/v1/closers/me/availability``).

The form takes the minimum commission as a percentage (``min_rate_percent``); the API and
the service take basis points: ``form_names`` says so, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from closerhub.closers.models import RATE_MIN_BPS, LanguageLevel, MeetingMode
from closerhub.closers.rules import DEFAULTS
from closerhub.commands import Command, Surface
from closerhub.core.errors import DomainError


@dataclass(frozen=True)
class LanguageSkill:
    """A language the closer speaks: an ISO 639-1 code and a level (``native``, ``fluent`` or ``working``)."""

    code: str
    level: str = LanguageLevel.FLUENT.value


@dataclass(frozen=True)
class ProfileData(Command):
    """What a closer edits on their profile; ``update_profile`` checks the rules (lengths, vocabularies, ranges).

    ``min_rate_bps`` is None when the form's percentage could not be read (the service then
    reports the rate as out of range, beside any other field's error).
    """

    headline: str = ""
    bio: str = ""
    languages: tuple[LanguageSkill, ...] = ()
    industries: tuple[str, ...] = ()
    timezone: str = "UTC"
    min_rate_bps: int | None = RATE_MIN_BPS
    phone: str | None = None
    meeting_url: str | None = None
    years_experience: int = 0
    meeting_mode: str = MeetingMode.GENERATED_ROOM.value
    photo_url: str | None = None

    form_names: ClassVar[Mapping[str, str]] = {"min_rate_bps": "min_rate_percent"}


# --- availability ----------------------------------------------------------------------------

_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class WeeklyWindow:
    """Every ``weekday`` (0 = Monday) from ``start`` to ``end``: ``"HH:MM"`` wall-clock in the closer's zone
    (the end may be ``"24:00"``). ``core.availability.build_rules`` reads and checks the times."""

    weekday: int
    start: str
    end: str


@dataclass(frozen=True)
class DayOverride(Command):
    """On ``date`` (``YYYY-MM-DD``, checked by ``build_rules``) these ``(start, end)`` ``"HH:MM"`` pairs replace
    the weekly hours; none at all is a day off.

    ``form_names``: the fields of the page's "add a date" form (``OverrideForm``) for this item's errors.
    """

    date: str
    intervals: tuple[tuple[str, str], ...] = ()

    form_names: ClassVar[Mapping[str, str]] = {
        "date": "day",
        "intervals": "start",
        "intervals[0].start": "start",
        "intervals[0].end": "end",
        "intervals[1].start": "start2",
        "intervals[1].end": "end2",
    }


@dataclass(frozen=True)
class TimeOffPeriod(Command):
    """Time off ``[start, end)``: aware instants, or the API's ISO text with its offset (``build_rules`` reads it).

    ``form_names``: the fields of the page's time-off form (``TimeOffForm``) for this item's errors.
    """

    start: datetime | str
    end: datetime | str
    reason: str = ""

    form_names: ClassVar[Mapping[str, str]] = {"start": "first_day", "end": "last_day", "reason": "reason"}


@dataclass(frozen=True)
class AvailabilityChange(Command):
    """A closer's whole availability, replacing what they had (``availability_service.replace_availability``).

    ``timezone`` None keeps the closer's zone (given, it is also their profile's zone);
    ``time_off`` None keeps their current time off. The settings default to ``rules.DEFAULTS``.
    Errors are named as ``build_rules`` names them (``weekly[2].end``); the API names items
    with dots (``weekly.2.end``): ``field_name`` says so, for every field.
    """

    timezone: str | None = None
    slot_minutes: int = DEFAULTS["slot_minutes"]
    buffer_minutes: int = DEFAULTS["buffer_minutes"]
    min_notice_minutes: int = DEFAULTS["min_notice_minutes"]
    horizon_days: int = DEFAULTS["horizon_days"]
    max_per_day: int | None = DEFAULTS["max_per_day"]
    weekly: tuple[WeeklyWindow, ...] = ()
    overrides: tuple[DayOverride, ...] = ()
    time_off: tuple[TimeOffPeriod, ...] | None = None

    @classmethod
    def field_name(cls, name: str, surface: Surface) -> str:
        return _INDEX.sub(r".\1", name) if surface == "api" else name


def item_errors(exc: DomainError, path: str, item: type[Command]) -> DomainError:
    """``exc`` with the errors of the one item at ``path`` (``overrides[3]``: the item a form adds) named
    as that form names them (``item.form_names``: ``overrides[3].date`` → ``day``); other errors keep
    their path (the exception, changed in place)."""
    prefix = f"{path}."

    def name(key: str) -> str:
        if not key.startswith(prefix):
            return key
        rest = key.removeprefix(prefix)
        return item.form_names.get(rest, key)

    exc.field_errors = {name(k): v for k, v in exc.field_errors.items()}
    return exc
