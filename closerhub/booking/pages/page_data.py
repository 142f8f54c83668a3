"""What the booking pages need to show beside the service's answers: call ends, horizons, nearest slots.

Read-only helpers over ``booking.service`` and the closers' stored rules; the service alone
decides what may be booked. Kept apart from the views so the public and signed-in pages
share them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.pages.display import group_by_local_date
from closerhub.booking.slots import in_recovery_daytime, offer_starts
from closerhub.businesses.models import Offer
from closerhub.closers.models import CloserProfile
from closerhub.closers.profile_fields import language_name
from closerhub.closers.rules import current_etags, rules_for_many
from closerhub.core.tz import to_local
from closerhub.engagements.models import Engagement
from closerhub.i18n import current_locale

ALTERNATIVES = 3
ALTERNATIVES_SEARCH_DAYS = 14  # how far either side of a taken slot the pages look for the nearest free ones


def last_bookable_date(session: Session, closers: Iterable[User], now: datetime, zone: str) -> date:
    """The last local date in ``zone`` on which any of ``closers`` can be booked (their widest horizon)."""
    closers = list(closers)
    saved = rules_etags(session, closers)
    rules = rules_for_many(session, closers, etags={c.id: saved.get(c.id) for c in closers})  # one batch
    horizon = max((r.horizon_days for r in rules.values()), default=0)
    return to_local(now + timedelta(days=horizon), zone).date()


def offer_engagements(session: Session, offer: Offer) -> list[Engagement]:
    """``bookable_engagements(offer)``, read once per request: a booking page asks for the closers, the
    closer named by ``?without=`` and the slots, and with 500 closers each read cost ~15 ms."""
    if not has_request_context():
        return service.bookable_engagements(session, offer)
    memo: dict[int, list[Engagement]] = request.environ.setdefault(_ENGAGEMENTS, {})
    if offer.id not in memo:
        memo[offer.id] = service.bookable_engagements(session, offer)
    return memo[offer.id]


_ENGAGEMENTS = "closerhub.offer_engagements"  # per request: the WSGI environ lives as long as the request
_ETAGS = "closerhub.rules_etags"


def rules_etags(session: Session, closers: Iterable[User]) -> dict[int, str]:
    """``current_etags`` of ``closers``, read once per request (the horizon and the slots both need them)."""
    ids = [c.id for c in closers]
    if not has_request_context():
        return current_etags(session, ids)
    known, etags = request.environ.setdefault(_ETAGS, (set(), {}))
    if not known.issuperset(ids):
        etags.update(current_etags(session, ids))
        known.update(ids)
    return etags


def engaged_closers(session: Session, offer: Offer) -> list[User]:
    """The closers bookable on ``offer`` (one per engagement), by name."""
    closers = {e.closer_id: e.closer for e in offer_engagements(session, offer)}
    return sorted(closers.values(), key=lambda c: (c.name.lower(), c.id))


def offer_slot_end(offer: Offer, start: datetime) -> datetime:
    """The end of a call on ``offer`` starting at ``start``: the offer sets its length, whichever closer takes it."""
    return start + timedelta(minutes=offer.call_minutes)


def offer_day_slots(
    session: Session,
    offer: Offer,
    *,
    zone: str,
    first: date,
    last: date,
    now: datetime,
    closer_id: int | None,
    other_zone: str | None = None,
    without: int | None = None,
) -> list[Any]:
    """The offer's free slots on local dates ``first``..``last`` grouped by date, each with its end."""
    starts = _offer_starts(
        session, offer, zone=zone, first=first, last=last, now=now, closer_id=closer_id, without=without
    )
    length = timedelta(minutes=offer.call_minutes)  # the offer sets the call, whichever closer takes it
    pairs = [(start, start + length) for start in starts]
    return group_by_local_date(pairs, zone, other_zone=other_zone)


def closer_card(session: Session, closer_id: int) -> dict[str, Any] | None:
    """What the prospect sees of a named closer before booking: name, initials and languages (in the
    page's language)."""
    closer = session.get(User, closer_id)
    if closer is None:
        return None
    profile = session.scalar(
        select(CloserProfile).where(CloserProfile.user_id == closer_id).options(selectinload(CloserProfile.languages))
    )
    codes = [language.code for language in profile.languages] if profile else []
    initials = "".join(part[0] for part in closer.name.split()[:2]).upper()
    return {
        "name": closer.name,
        "initials": initials,
        "photo_url": profile.photo_url if profile else None,
        "languages": [language_name(c, current_locale()) for c in codes],
    }


def nearest(starts: Iterable[datetime], target: datetime, count: int = ALTERNATIVES, *, zone: str) -> list[datetime]:
    """The ``count`` starts closest to ``target`` (ties: the earlier first), in time order; those in the
    prospect's daytime (08:00–20:00 in ``zone``) first."""
    chosen = sorted(
        set(starts), key=lambda s: (not in_recovery_daytime(s, zone), abs((s - target).total_seconds()), s)
    )[:count]
    return sorted(chosen)


def offer_start_status(
    session: Session,
    offer: Offer,
    start: datetime,
    *,
    zone: str,
    now: datetime,
    closer_id: int | None,
    without: int | None = None,
) -> tuple[bool, list[datetime]]:
    """Whether ``start`` is free on the offer (for ``closer_id`` if given) and, if not, the nearest free starts."""
    local_day = to_local(start, zone).date()
    today = to_local(now, zone).date()
    first = max(today, local_day - timedelta(days=ALTERNATIVES_SEARCH_DAYS))
    last = max(first, local_day + timedelta(days=ALTERNATIVES_SEARCH_DAYS))
    starts = _offer_starts(
        session, offer, zone=zone, first=first, last=last, now=now, closer_id=closer_id, without=without
    )
    if start in starts:
        return True, []
    return False, nearest(starts, start, zone=zone)


def _offer_starts(
    session: Session,
    offer: Offer,
    *,
    zone: str,
    first: date,
    last: date,
    now: datetime,
    closer_id: int | None,
    without: int | None,
) -> list[datetime]:
    """``slots.offer_starts`` over the request's engagements (``offer_engagements``) and etags."""
    engagements = offer_engagements(session, offer)
    return offer_starts(
        session,
        offer,
        viewer_zone=zone,
        from_date=first,
        to_date=last,
        now=now,
        closer_id=closer_id,
        without=without,
        engagements=engagements,
        etags=rules_etags(session, [e.closer for e in engagements]),
    )


def alternative_starts(exc: Exception) -> list[datetime]:
    """The starts of a ``SlotUnavailable``'s alternatives (``OfferSlot`` or ``Slot``), in time order."""
    return sorted(a.start for a in getattr(exc, "alternatives", []) or [])
