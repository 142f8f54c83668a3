"""Closer profile use cases: edit one's own profile, read a closer's public profile.

Every function takes the session first, validates all fields before changing anything
(one ``ValidationError`` naming every bad field, see ``profile_fields``), and commits
once. Availability lives in ``closers.availability_service``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.accounts.service import AccountOpened
from closerhub.closers.commands import LanguageSkill, ProfileData
from closerhub.closers.models import (
    RATE_MIN_BPS,
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    LanguageLevel,
    MeetingMode,
)
from closerhub.closers.profile_fields import (
    BIO_MAX,
    HEADLINE_MAX,
    clean_industries,
    clean_languages,
    clean_meeting,
    clean_phone,
    clean_photo_url,
    clean_rate,
    clean_years,
    iso_639_1_codes,
    language_choices,
    language_name,
)
from closerhub.closers.stats import CloserStats
from closerhub.closers.summary import refresh_summary
from closerhub.core.errors import NotFound, ValidationError
from closerhub.core.i18n import _
from closerhub.core.text import clean_text
from closerhub.core.tz import require_zone
from closerhub.db import get_by_id
from closerhub.vetting.models import CloserVetting, VettingStatus

# The vocabularies are re-exported: search and other features import them from here.
__all__ = [
    "CloserCard",
    "CloserStats",
    "LanguageSkill",
    "ProfileData",
    "find_closer",
    "iso_639_1_codes",
    "language_choices",
    "language_name",
    "may_see_closer",
    "new_profile",
    "update_profile",
]


# --- use cases -------------------------------------------------------------------------


def get_or_create_profile(session: Session, closer: User, now: datetime) -> CloserProfile:
    """The closer's profile, created empty if missing (sign-up makes one; older accounts may not have it)."""
    if closer.role != Role.CLOSER:
        raise ValidationError(_("Only closers have a closer profile."))
    profile = session.scalar(select(CloserProfile).where(CloserProfile.user_id == closer.id))
    if profile is None:
        profile = new_profile(closer, now)
        session.add(profile)
        session.flush()
    return profile


def new_profile(closer: User, now: datetime) -> CloserProfile:
    """An empty profile for a new closer (sign-up calls this inside its own transaction)."""
    return CloserProfile(
        user=closer,
        headline="",
        bio="",
        years_experience=0,
        min_rate_bps=RATE_MIN_BPS,
        meeting_mode=MeetingMode.GENERATED_ROOM,
        created_at=now,
        updated_at=now,
    )


def update_profile(session: Session, closer: User, data: ProfileData, *, now: datetime) -> CloserProfile:
    """Replace the closer's profile (and their time zone) with ``data``: all fields valid, or nothing changes.

    A new time zone moves the closer's weekly hours with it (they are wall-clock times),
    so the availability summary used by search is refreshed in the same transaction.
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    zone = data.timezone.strip()
    checks = (
        ("headline", lambda: clean_text(data.headline, "headline", HEADLINE_MAX)),
        ("bio", lambda: clean_text(data.bio, "bio", BIO_MAX, multiline=True)),
        ("languages", lambda: clean_languages(data.languages)),
        ("industries", lambda: clean_industries(data.industries)),
        ("timezone", lambda: (require_zone(zone), zone)[1]),
        ("min_rate_bps", lambda: clean_rate(data.min_rate_bps)),
        ("phone", lambda: clean_phone(data.phone, zone)),
        ("meeting", lambda: clean_meeting(data.meeting_mode, data.meeting_url)),
        ("years_experience", lambda: clean_years(data.years_experience)),
        ("photo_url", lambda: clean_photo_url(data.photo_url)),
    )
    for key, check in checks:
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.field_errors or {key: exc.message})
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)

    profile = get_or_create_profile(session, closer, now)
    profile.headline = values["headline"]  # type: ignore[assignment]
    profile.bio = values["bio"]  # type: ignore[assignment]
    profile.min_rate_bps = values["min_rate_bps"]  # type: ignore[assignment]
    profile.phone_e164 = values["phone"]  # type: ignore[assignment]
    profile.meeting_mode, profile.meeting_url = values["meeting"]  # type: ignore[misc]
    profile.years_experience = values["years_experience"]  # type: ignore[assignment]
    profile.photo_url = values["photo_url"]  # type: ignore[assignment]
    profile.updated_at = now
    _replace_languages(profile, values["languages"])  # type: ignore[arg-type]
    _replace_industries(profile, values["industries"])  # type: ignore[arg-type]
    zone_changed = closer.timezone != values["timezone"]
    closer.timezone = values["timezone"]  # type: ignore[assignment]
    if zone_changed:
        session.flush()
        refresh_summary(session, closer.id, now)
    session.commit()
    return profile


def _replace_languages(profile: CloserProfile, wanted: list[tuple[str, LanguageLevel]]) -> None:
    # Reconcile instead of delete-all + insert: the unit of work may insert before it
    # deletes, which would trip the (profile_id, code) unique constraint.
    levels = dict(wanted)
    for row in list(profile.languages):
        if row.code in levels:
            row.level = levels.pop(row.code)
        else:
            profile.languages.remove(row)
    for code, level in levels.items():
        profile.languages.append(CloserLanguage(code=code, level=level))


def _replace_industries(profile: CloserProfile, wanted: list[str]) -> None:
    keep = set(wanted)
    for row in list(profile.industries):
        if row.industry in keep:
            keep.discard(row.industry)
        else:
            profile.industries.remove(row)
    for slug in wanted:
        if slug in keep:
            profile.industries.append(CloserIndustry(industry=slug))


# --- reading ---------------------------------------------------------------------------

_TRACK_RECORD = "closerhub.closers.track_record"


def set_track_record(app: Flask, read: Callable[[Session, int], CloserStats]) -> None:
    """How ``find_closer`` reads a closer's track record (``outcomes.track_record.closer_stats``,
    given by the app factory: appointments and outcomes sit above closers)."""
    app.extensions[_TRACK_RECORD] = read


_REVIEWS = "closerhub.closers.reviews"


def set_reviews(
    app: Flask,
    latest: Callable[..., list[Any]],
    business_names: Callable[[Session, list[Any]], dict[int, str]],
) -> None:
    """How a closer's profile reads its latest reviews and their businesses' names
    (``outcomes.reviews``, given by the app factory: outcomes sit above closers)."""
    app.extensions[_REVIEWS] = (latest, business_names)


def profile_reviews(session: Session, closer_id: int, limit: int) -> tuple[list[Any], dict[int, str]]:
    """A closer's latest ``limit`` reviews, newest first, and the reviewing businesses' names."""
    latest, business_names = current_app.extensions[_REVIEWS]
    items = latest(session, closer_id, limit=limit)
    return items, business_names(session, items)


@dataclass(frozen=True)
class CloserCard:
    """A closer as businesses see them: the profile, the track record and the next free slot."""

    user: User
    profile: CloserProfile
    stats: CloserStats = field(default_factory=CloserStats)
    summary: AvailabilitySummary | None = None

    @property
    def next_available_at(self) -> datetime | None:
        return self.summary.next_available_at if self.summary else None


def may_see_closer(session: Session, closer: User, viewer: User | None) -> bool:
    """Whether ``viewer`` may see ``closer`` at all: approved closers for everyone signed in; a closer
    still in vetting (in review, changes requested, rejected; no row counts as in review) only for
    admins and themselves, so nobody learns of them before an admin has admitted them."""
    if viewer is not None and (viewer.is_admin or viewer.id == closer.id):
        return True
    status = session.scalar(select(CloserVetting.status).where(CloserVetting.closer_id == closer.id))
    return status == VettingStatus.APPROVED


def find_closer(session: Session, closer_id: int, viewer: User | None, now: datetime) -> CloserCard:
    """A closer's public card for any logged-in viewer; a missing, suspended or non-closer id is NotFound,
    as is a closer not (or no longer) approved by vetting, except for admins and the closer themself."""
    user = get_by_id(session, User, closer_id)
    if user is None or user.role != Role.CLOSER or user.status != AccountStatus.ACTIVE:
        raise NotFound(_("Closer not found."))
    if not may_see_closer(session, user, viewer):
        raise NotFound(_("Closer not found."))
    profile = session.scalar(select(CloserProfile).where(CloserProfile.user_id == user.id))
    if profile is None:  # an account older than profiles: show an empty, unsaved one
        profile = CloserProfile(
            user_id=user.id,
            headline="",
            bio="",
            years_experience=0,
            min_rate_bps=RATE_MIN_BPS,
            languages=[],
            industries=[],
        )
    if not profile.can_view(viewer):
        raise NotFound(_("Closer not found."))
    summary = session.get(AvailabilitySummary, user.id)
    stats = current_app.extensions[_TRACK_RECORD](session, user.id)
    return CloserCard(user=user, profile=profile, stats=stats, summary=summary)


def on_account_opened(session: Session, event: AccountOpened) -> None:
    """A new closer gets an empty profile to fill in (``AccountOpened`` handler; created_at = updated_at = now)."""
    if event.user.role == Role.CLOSER:
        session.add(new_profile(event.user, event.now))
