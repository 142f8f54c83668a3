"""API v1 closer routes: a closer's public card, your profile, your availability, a closer's free slots.

Same service functions as the HTML pages (``closers.service``, ``closers.availability_service``).
The search list ``GET /api/v1/closers`` lives with matching and reuses ``closer_out``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.closers import availability_service as availability
from closerhub.closers import service
from closerhub.closers.commands import (
    AvailabilityChange,
    DayOverride,
    LanguageSkill,
    ProfileData,
    TimeOffPeriod,
    WeeklyWindow,
)
from closerhub.closers.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    CloserOut,
    CloserProfileIn,
    CloserProfileOut,
    LanguageOut,
    StatsOut,
)
from closerhub.commands import errors_for
from closerhub.core.tz import to_local
from closerhub.extensions import db


def _iso_local(instant: datetime, zone: str) -> str:
    return to_local(instant, zone).replace(microsecond=0).isoformat()


def closer_out(
    card: service.CloserCard, now: datetime, *, next_available_at: Any = None, score: float | None = None
) -> CloserOut:
    """The API item of a closer (``CloserOut``) from a card; private fields are never included."""
    profile, user, stats = card.profile, card.user, card.stats
    return CloserOut(
        id=user.id,
        name=user.name,
        headline=profile.headline,
        bio=profile.bio,
        languages=[
            LanguageOut(code=lang.code, name=service.language_name(lang.code), level=lang.level.value)
            for lang in profile.languages
        ],
        industries=[row.industry for row in profile.industries],
        timezone=user.timezone,
        local_time=_iso_local(now, user.timezone),
        min_rate_bps=profile.min_rate_bps,
        years_experience=profile.years_experience,
        meeting_mode=profile.meeting_mode.value,
        photo_url=profile.photo_url,
        rating=stats.rating,
        stats=StatsOut(
            appointments=stats.appointments,
            show_rate=stats.show_rate,
            close_rate=stats.close_rate,
            closer_no_shows=stats.closer_no_shows,
        ),
        next_available_at=next_available_at if next_available_at is not None else card.next_available_at,
        score=score,
    )


def _my_profile_out(user: User, now: datetime) -> CloserProfileOut:
    card = service.find_closer(db.session, user.id, user, now)
    base = closer_out(card, now, next_available_at=availability.next_available_at(db.session, user, now))
    return CloserProfileOut(
        **base.model_dump(),
        phone=card.profile.phone_e164,
        meeting_url=card.profile.meeting_url,
        updated_at=card.profile.updated_at or now,
    )


@api_route(
    "GET", "/closers/<int:closer_id>", summary="A closer's public profile", response=CloserOut, tags=("closers",)
)
def get_closer(closer_id: int) -> CloserOut:
    """Any authenticated user. `stats` stay empty until the closer has calls; `score` is null outside a search."""
    now = clock.utcnow()
    card = service.find_closer(db.session, closer_id, current_api_user(), now)
    return closer_out(card, now, next_available_at=availability.next_available_at(db.session, card.user, now))


@api_route(
    "GET",
    "/closers/me/profile",
    summary="Your closer profile, private fields included",
    auth=("closer",),
    response=CloserProfileOut,
    tags=("closers",),
)
def get_my_closer_profile() -> CloserProfileOut:
    return _my_profile_out(current_api_user(), clock.utcnow())


@api_route(
    "PUT",
    "/closers/me/profile",
    summary="Replace your closer profile",
    auth=("closer",),
    body=CloserProfileIn,
    response=CloserProfileOut,
    tags=("closers",),
)
def update_my_closer_profile(body: CloserProfileIn) -> CloserProfileOut:
    """All fields are checked together; any error is a 422 naming each field and nothing changes.

    `languages` accepts codes (level `fluent`) or `{code, level}` objects; `timezone` is
    also your account's zone, and your weekly hours follow it (they are wall-clock times).
    """
    user, now = current_api_user(), clock.utcnow()
    data = ProfileData(
        headline=body.headline,
        bio=body.bio,
        languages=tuple(
            LanguageSkill(lang) if isinstance(lang, str) else LanguageSkill(lang.code, lang.level)
            for lang in body.languages
        ),
        industries=tuple(body.industries),
        timezone=body.timezone,
        min_rate_bps=body.min_rate_bps,
        phone=body.phone,
        meeting_url=body.meeting_url,
        years_experience=body.years_experience,
        meeting_mode=body.meeting_mode,
        photo_url=body.photo_url,
    )
    with errors_for(ProfileData, "api"):
        service.update_profile(db.session, user, data, now=now)
    return _my_profile_out(user, now)


@api_route(
    "GET",
    "/closers/me/availability",
    summary="Your availability rules",
    auth=("closer",),
    response=AvailabilityOut,
    tags=("closers",),
)
def get_my_availability() -> dict[str, Any]:
    return AvailabilityOut.model_validate(availability.availability_data(db.session, current_api_user())).model_dump(
        mode="json"
    )


@api_route(
    "PUT",
    "/closers/me/availability",
    summary="Replace your availability rules",
    auth=("closer",),
    body=AvailabilityIn,
    response=AvailabilityOut,
    tags=("closers",),
)
def update_my_availability(body: AvailabilityIn) -> dict[str, Any]:
    """Weekly hours and overrides are wall-clock times in `timezone`; an override with no
    intervals is a day off. Overlapping intervals, an end before its start, an interval
    shorter than one slot, a duplicate override date or a setting out of range is a 422
    naming each field (`weekly.2.end`), and nothing changes. `time_off` omitted keeps it.
    """
    user = current_api_user()
    change = AvailabilityChange(
        timezone=body.timezone,
        slot_minutes=body.slot_minutes,
        buffer_minutes=body.buffer_minutes,
        min_notice_minutes=body.min_notice_minutes,
        horizon_days=body.horizon_days,
        max_per_day=body.max_per_day,
        weekly=tuple(WeeklyWindow(w.weekday, w.start, w.end) for w in body.weekly),
        overrides=tuple(DayOverride(o.date, tuple((i.start, i.end) for i in o.intervals)) for o in body.overrides),
        time_off=(
            None if body.time_off is None else tuple(TimeOffPeriod(t.start, t.end, t.reason) for t in body.time_off)
        ),
    )
    with errors_for(AvailabilityChange, "api"):
        availability.replace_availability(db.session, user, change, now=clock.utcnow())
    return get_my_availability()
