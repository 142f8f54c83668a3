"""Closer commands: the profile a closer saves (the HTML form and ``PUT /api/v1/closers/me/profile``).

The form takes the minimum commission as a percentage (``min_rate_percent``); the API and
the service take basis points: ``form_names`` says so, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from closerhub.closers.models import RATE_MIN_BPS, LanguageLevel, MeetingMode
from closerhub.commands import Command


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
