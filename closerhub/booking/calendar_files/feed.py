"""A closer's private calendar feed (``/calendar/<key>.ics``) and single-appointment ICS downloads.

The feed URL carries a secret key (``CloserProfile.calendar_feed_key``, 256 bits from
``secrets.token_urlsafe``) instead of a login, because calendar apps (Google Calendar,
Outlook, Apple Calendar) subscribe by URL and cannot sign in. Whoever holds the URL can read
the closer's schedule, so the closer can regenerate it (the old URL stops working at once)
or revoke it (no feed at all). Unknown and revoked keys look the same: 404.

The feed holds the closer's calls from ``FEED_PAST_DAYS`` ago onwards, upcoming ones
included, cancelled ones as ``STATUS:CANCELLED`` (so subscribed clients remove them).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import AccountStatus, User
from closerhub.accounts.permissions import find_visible
from closerhub.booking.calendar_files import ics
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.closers.models import CloserProfile
from closerhub.core.errors import NotFound, PermissionDenied
from closerhub.core.i18n import _

FEED_PAST_DAYS = 30
FEED_MAX_EVENTS = 2000  # a bound on one response; years of a busy closer's calls
KEY_BYTES = 32  # → 43 URL-safe characters, inside the column's 64
KEY_MAX_LENGTH = 64


def _profile(session: Session, closer: User) -> CloserProfile:
    if not closer.is_closer:
        raise PermissionDenied(_("Only closers have a calendar feed."))
    profile = session.scalar(select(CloserProfile).where(CloserProfile.user_id == closer.id))
    if profile is None:
        raise NotFound(_("Closer profile not found."))
    return profile


def feed_key(session: Session, closer: User) -> str | None:
    """The closer's current feed key, or None when they have no feed."""
    return _profile(session, closer).calendar_feed_key


def create_feed_key(session: Session, closer: User, *, now: datetime) -> str:
    """Give the closer a feed URL; if they already have one, keep it (creating twice changes nothing)."""
    profile = _profile(session, closer)
    if profile.calendar_feed_key is None:
        profile.calendar_feed_key = secrets.token_urlsafe(KEY_BYTES)
        profile.updated_at = now
    key = profile.calendar_feed_key
    session.commit()
    return key


def regenerate_feed_key(session: Session, closer: User, *, now: datetime) -> str:
    """Replace the feed key: the old URL answers 404 from now on (for a URL that leaked)."""
    profile = _profile(session, closer)
    profile.calendar_feed_key = secrets.token_urlsafe(KEY_BYTES)
    profile.updated_at = now
    key = profile.calendar_feed_key
    session.commit()
    return key


def revoke_feed_key(session: Session, closer: User, *, now: datetime) -> None:
    """Turn the feed off: the URL answers 404 and no new one exists until the closer creates one."""
    profile = _profile(session, closer)
    profile.calendar_feed_key = None
    profile.updated_at = now
    session.commit()


def closer_for_key(session: Session, key: str) -> User:
    """The active closer whose feed key is ``key``; NotFound for unknown, revoked or malformed keys."""
    if not key or len(key) > KEY_MAX_LENGTH:
        raise NotFound(_("Calendar feed not found."))
    profile = session.scalar(select(CloserProfile).where(CloserProfile.calendar_feed_key == key))
    # compare_digest: the lookup already matched, this only keeps a collation quirk from matching loosely.
    if profile is None or not secrets.compare_digest(profile.calendar_feed_key or "", key):
        raise NotFound(_("Calendar feed not found."))
    if profile.user.status != AccountStatus.ACTIVE:
        raise NotFound(_("Calendar feed not found."))  # a suspended account publishes nothing
    return profile.user


def feed_appointments(session: Session, closer: User, *, now: datetime) -> list[Appointment]:
    """The closer's calls that started in the last ``FEED_PAST_DAYS`` days or later, any status."""
    since = now - timedelta(days=FEED_PAST_DAYS)
    query = (
        select(Appointment)
        .where(Appointment.closer_id == closer.id, Appointment.starts_at >= since)
        .options(selectinload(Appointment.lead), selectinload(Appointment.offer), selectinload(Appointment.business))
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(FEED_MAX_EVENTS)
    )
    return list(session.scalars(query))


def feed_for_key(session: Session, key: str, *, now: datetime) -> bytes:
    """The ICS feed behind ``/calendar/<key>.ics`` (NotFound for an unknown or revoked key)."""
    closer = closer_for_key(session, key)
    appointments = feed_appointments(session, closer, now=now)
    return ics.feed(appointments, name=f"CloserHub — {closer.name}", language=closer.language, now=now)


def appointment_ics(session: Session, appointment_id: int, viewer: User, *, now: datetime) -> bytes:
    """One appointment as an invite the viewer can import: REQUEST, or CANCEL once cancelled (404 for others)."""
    appointment = find_visible(Appointment, appointment_id, viewer)
    method = "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST"
    return ics.invite(appointment, method=method, language=viewer.language, now=now)
