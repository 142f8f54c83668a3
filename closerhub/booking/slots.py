"""Slot search for booking: one closer's free slots, an offer's slots across its closers, and the
checks and alternatives the booking service needs.

Everything goes through ``closers.availability_service.slots_for_dates`` /
``closers.rules.busy_intervals`` and the pure engine (``core.slots``), so the booking page,
the API slot list and the booking check cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from closerhub.accounts.models import AccountStatus, User
from closerhub.businesses.models import Offer
from closerhub.closers.availability_service import free_starts_many, slots_for_dates, slots_for_many
from closerhub.closers.rules import busy_intervals, busy_intervals_many, rules_for, rules_for_many
from closerhub.core.availability import AvailabilityRules
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, ngettext
from closerhub.core.slots import Busy, Slot, free_slots
from closerhub.core.tz import day_bounds_utc, to_local
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.i18n import local_time, zone_city
from closerhub.vetting.models import CloserVetting, VettingStatus

ALTERNATIVES = 3
# How far around a refused start the alternatives are looked for (each side).
ALTERNATIVE_WINDOW = timedelta(days=14)
#: The prospect's daytime, offered first when their slot was taken or is past.
RECOVERY_DAYTIME = (time(8), time(20))
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class OfferSlot:
    """A start time on an offer's booking page: UTC ``start`` and the closers free to start a call then."""

    start: datetime
    closer_ids: tuple[int, ...]


def bookable_engagements(
    session: Session, offer: Offer, *, closer_id: int | None = None, without: int | None = None
) -> list[Engagement]:
    """The offer's active engagements whose closer is bookable, oldest engagement first.

    ``without``: a closer left out (the prospect's rebooking after that closer missed their call).

    Bookable (fail closed): the account is active (not suspended) and vetting has approved the
    closer. An engagement outlives a later "changes requested" or rejection; its slots must not.
    """
    stmt = (
        select(Engagement)
        .join(User, User.id == Engagement.closer_id)
        .join(CloserVetting, CloserVetting.closer_id == Engagement.closer_id)
        .where(
            Engagement.offer_id == offer.id,
            Engagement.status == EngagementStatus.ACTIVE,
            User.status == AccountStatus.ACTIVE,
            CloserVetting.status == VettingStatus.APPROVED,
        )
        .options(contains_eager(Engagement.closer))  # the closers come with the rows: no query per engagement
        .order_by(Engagement.id)
    )
    if closer_id is not None:
        stmt = stmt.where(Engagement.closer_id == closer_id)
    if without is not None:
        stmt = stmt.where(Engagement.closer_id != without)
    return list(session.scalars(stmt))


def closer_slots(
    session: Session,
    closer: User,
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    offer: Offer | None = None,
) -> list[Slot]:
    """The closer's free slots starting on the viewer's local dates ``from_date``..``to_date`` (booked time removed);
    with ``offer``, that offer's calls cut out of the closer's windows."""
    return slots_for_dates(
        session,
        closer,
        viewer_zone=viewer_zone,
        from_date=from_date,
        to_date=to_date,
        now=now,
        call=offer.call if offer is not None else None,
    )


def offer_slots(
    session: Session,
    offer: Offer,
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    closer_id: int | None = None,
    without: int | None = None,
    engagements: list[Engagement] | None = None,
) -> list[OfferSlot]:
    """Every start on the viewer's dates at which at least one of the offer's bookable closers is free.

    ``closer_ids`` keeps the engagement order (oldest first); routing picks among them when booking.
    ``engagements``: the offer's ``bookable_engagements`` when the caller has them (a page reads them once).
    """
    by_start: dict[datetime, list[int]] = {}
    engagements = _engagements(session, offer, engagements, closer_id=closer_id, without=without)
    closers = list({e.closer_id: e.closer for e in engagements}.values())
    slots = slots_for_many(
        session, closers, viewer_zone=viewer_zone, from_date=from_date, to_date=to_date, now=now, call=offer.call
    )  # a constant number of statements however many closers the offer has; the offer's calls
    for engagement in engagements:
        for slot in slots[engagement.closer_id]:
            by_start.setdefault(slot.start, []).append(engagement.closer_id)
    return [OfferSlot(start, tuple(ids)) for start, ids in sorted(by_start.items())]


def offer_starts(
    session: Session,
    offer: Offer,
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    closer_id: int | None = None,
    without: int | None = None,
    engagements: list[Engagement] | None = None,
    etags: dict[int, str] | None = None,
) -> list[datetime]:
    """The starts of ``offer_slots``, in time order, without who is free at each (what the booking
    page shows): the closers' cached starts merged, no slot built per closer. ``etags``: as
    ``free_starts_many`` takes them."""
    engagements = _engagements(session, offer, engagements, closer_id=closer_id, without=without)
    closers = list({e.closer_id: e.closer for e in engagements}.values())
    return sorted(
        free_starts_many(
            session,
            closers,
            viewer_zone=viewer_zone,
            from_date=from_date,
            to_date=to_date,
            now=now,
            call=offer.call,
            etags=etags,
        )
    )


def _engagements(
    session: Session,
    offer: Offer,
    given: list[Engagement] | None,
    *,
    closer_id: int | None,
    without: int | None,
) -> list[Engagement]:
    """``bookable_engagements`` with these filters, from ``given`` (all of the offer's) when the caller read them."""
    if given is None:
        return bookable_engagements(session, offer, closer_id=closer_id, without=without)
    return [e for e in given if (closer_id is None or e.closer_id == closer_id) and e.closer_id != without]


# --- checks and alternatives used by the booking service ----------------------------------


def _busy_window(rules: AvailabilityRules, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    # Two days of slack each side: the buffer and every call of the closer-local days (max_per_day).
    slack = timedelta(days=2, minutes=rules.buffer_minutes)
    return start - slack, end + slack


def _check_window(rules: AvailabilityRules, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """What the check of one slot ``[start, end)`` reads of the closer's busy time: what can collide
    with it (the slot widened by the buffer each side) and, with a daily cap, the slot's whole
    closer-local day (its calls count against the cap). Nothing more: a booking reads only the calls
    it can meet, through the exclusion constraint's GiST index on PostgreSQL."""
    pad = timedelta(minutes=rules.buffer_minutes)
    low, high = start - pad, end + pad
    if rules.max_per_day is not None:
        day_low, day_high = day_bounds_utc(to_local(start, rules.zone).date(), rules.zone)
        low, high = min(low, day_low - pad), max(high, day_high + pad)
    return low, high


def free_slot_at(
    session: Session,
    closer: User,
    rules: AvailabilityRules,
    start: datetime,
    now: datetime,
    *,
    exclude_id: int | None = None,
    with_busy: bool = True,
    busy: list[Busy] | None = None,
) -> Slot | None:
    """The closer's free slot starting exactly at ``start``, or None.

    ``with_busy=False`` ignores booked calls (is ``start`` a slot of the rules at all?);
    ``exclude_id`` leaves the appointment being rescheduled out of the busy time; ``busy``:
    the closer's calls already read over a window containing ``_check_window``'s (read here otherwise).
    """
    if not with_busy:
        busy = []
    elif busy is None:
        low, high = _check_window(rules, start, start + timedelta(minutes=rules.slot_minutes))
        busy = busy_intervals(session, closer.id, low, high, exclude_id=exclude_id, now=now)
    found = free_slots(rules, busy, now=now, range_start=start, range_end=start + _TINY)
    return found[0] if found and found[0].start == start else None


def start_refusal(rules: AvailabilityRules, closer: User, start: datetime, now: datetime) -> ValidationError:
    """The ValidationError (field ``start``) saying why ``start`` is not a slot of the closer's rules."""
    zone = closer.timezone
    local = local_time(start, zone)
    if start <= now:
        return _start_error(_("This time is in the past; choose a future slot."))
    notice = timedelta(minutes=rules.min_notice_minutes)
    if start < now + notice:
        return _start_error(_short_notice(rules.min_notice_minutes))
    if start >= now + timedelta(days=rules.horizon_days):
        return _start_error(
            ngettext(
                "Too far ahead: calls can be booked at most %(num)d days in advance.",
                "Too far ahead: calls can be booked at most %(num)d days in advance.",
                rules.horizon_days,
            )
        )
    return _start_error(
        _(
            "%(time)s (%(zone)s) is not one of the closer's available slots; choose a listed slot.",
            time=local,
            zone=zone_city(zone),
        )
    )


def _start_error(message: str) -> ValidationError:
    return ValidationError(message, field_errors={"start": message})


def _short_notice(minutes: int) -> str:
    """The refusal of a start too soon, the notice in days, hours or minutes (whichever is whole)."""
    if minutes % 1440 == 0:
        return ngettext(
            "Too short notice: book at least %(num)d day(s) ahead.",
            "Too short notice: book at least %(num)d day(s) ahead.",
            minutes // 1440,
        )
    if minutes % 60 == 0:
        return ngettext(
            "Too short notice: book at least %(num)d hour(s) ahead.",
            "Too short notice: book at least %(num)d hour(s) ahead.",
            minutes // 60,
        )
    return ngettext(
        "Too short notice: book at least %(num)d minutes ahead.",
        "Too short notice: book at least %(num)d minutes ahead.",
        minutes,
    )


def in_recovery_daytime(instant: datetime, zone: str) -> bool:
    """Whether ``instant`` starts between 08:00 and 20:00 on the wall clock of ``zone``."""
    return RECOVERY_DAYTIME[0] <= to_local(instant, zone).time() < RECOVERY_DAYTIME[1]


def nearest(
    candidates: list[Slot] | list[OfferSlot], start: datetime, count: int = ALTERNATIVES, *, zone: str | None = None
) -> list:
    """The ``count`` candidates starting nearest ``start`` (either side), in time order. With the prospect's
    ``zone``, those in their daytime (08:00–20:00 there) come first: a taken 09:00 is not offered 03:00."""

    def rank(slot: Slot | OfferSlot) -> tuple[bool, timedelta, datetime]:
        night = zone is not None and not in_recovery_daytime(slot.start, zone)
        return night, abs(slot.start - start), slot.start

    chosen = sorted(candidates, key=rank)[:count]
    return sorted(chosen, key=lambda s: s.start)


def closer_alternatives(
    session: Session,
    closer: User,
    start: datetime,
    now: datetime,
    *,
    offer: Offer | None = None,
    zone: str | None = None,
) -> list[Slot]:
    """The closer's 3 free slots nearest ``start`` (``offer``: that offer's calls; ``zone``: the prospect's,
    whose daytime comes first)."""
    rules = rules_for(session, closer)
    if offer is not None:
        rules = rules.for_call(*offer.call)
    low, high = max(now, start - ALTERNATIVE_WINDOW), start + ALTERNATIVE_WINDOW
    busy_low, busy_high = _busy_window(rules, low, high)
    busy = busy_intervals(session, closer.id, busy_low, busy_high, now=now)
    return nearest(free_slots(rules, busy, now=now, range_start=low, range_end=high), start, zone=zone)


def offer_alternatives(
    session: Session, engagements: list[Engagement], start: datetime, now: datetime, *, zone: str | None = None
) -> list[OfferSlot]:
    """The 3 starts nearest ``start`` at which one of these engagements' closers is free (``zone``: the
    prospect's, whose daytime comes first)."""
    by_start: dict[datetime, list[int]] = {}
    low, high = max(now, start - ALTERNATIVE_WINDOW), start + ALTERNATIVE_WINDOW
    closers = list({e.closer_id: e.closer for e in engagements}.values())
    rules_by_id = rules_for_many(session, closers)
    busy_by_id = busy_intervals_many(
        session, {c.id: _busy_window(rules_by_id[c.id], low, high) for c in closers}, now=now
    )
    for engagement in engagements:
        rules, busy = rules_by_id[engagement.closer_id], busy_by_id[engagement.closer_id]
        rules = rules.for_call(*engagement.offer.call)
        for slot in free_slots(rules, busy, now=now, range_start=low, range_end=high):
            by_start.setdefault(slot.start, []).append(engagement.closer_id)
    return nearest([OfferSlot(s, tuple(ids)) for s, ids in by_start.items()], start, zone=zone)
