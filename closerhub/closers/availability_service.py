"""Availability use cases: save a closer's rules, list their free slots, keep the search summary fresh.

The rules are validated by ``core.availability.build_rules`` (never here) and expanded by
``core.slots`` (the pure engine). The page preview and the API slot endpoint both call
:func:`slots_for_dates`, so they cannot disagree. Weekly hours are wall-clock times in
the closer's zone, which is the user's ``timezone`` (one zone per closer, shared with the
profile): changing it keeps "09:00–12:00" at 09:00–12:00 local.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from closerhub.accounts.models import Role, User
from closerhub.closers import slot_cache
from closerhub.closers.commands import AvailabilityChange, DayOverride, TimeOffPeriod, WeeklyWindow
from closerhub.closers.models import (
    AvailabilitySettings,
    DateOverrideRow,
    OverrideInterval,
    TimeOffRow,
    WeeklyRule,
    new_rules_etag,
)
from closerhub.closers.rules import (
    DEFAULTS,
    SETTING_FIELDS,
    busy_intervals,
    busy_intervals_many,
    current_etags,
    load_settings,
    minute_to_time,
    rules_for,
    rules_for_many,
)
from closerhub.closers.summary import refresh_summary
from closerhub.core.availability import AvailabilityRules
from closerhub.core.errors import PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.slots import Busy, Slot, build_rules, dates_range, format_hhmm, next_free_slot
from closerhub.core.tz import to_local

__all__ = [
    "DEFAULTS",
    "PREVIEW_DAYS",
    "availability_data",
    "busy_intervals",
    "free_starts_many",
    "next_available_at",
    "preview_dates",
    "refresh_summary",
    "replace_availability",
    "rules_for",
    "slots_for_dates",
    "slots_for_many",
    "stored_availability",
]

PREVIEW_DAYS = 14
REASON_MAX = 200


def availability_data(session: Session, closer: User) -> dict[str, Any]:
    """The closer's availability in the API's JSON shape (also what the HTML editor starts from)."""
    settings = load_settings(session, closer.id)
    data: dict[str, Any] = {"timezone": closer.timezone}
    data.update({k: getattr(settings, k) for k in SETTING_FIELDS} if settings else DEFAULTS)

    def hhmm(minute: int, *, end: bool = False) -> str:
        return format_hhmm(minute_to_time(minute), end=end)

    weekly, overrides, time_off = (settings.weekly, settings.overrides, settings.time_off) if settings else ([], [], [])
    data["weekly"] = [
        {"weekday": w.weekday, "start": hhmm(w.start_minute), "end": hhmm(w.end_minute, end=True)} for w in weekly
    ]
    data["overrides"] = [
        {
            "date": o.day.isoformat(),
            "intervals": [{"start": hhmm(i.start_minute), "end": hhmm(i.end_minute, end=True)} for i in o.intervals],
        }
        for o in overrides
    ]
    data["time_off"] = [{"id": t.id, "start": t.starts_at, "end": t.ends_at, "reason": t.reason} for t in time_off]
    return data


# --- saving --------------------------------------------------------------------------------


def stored_availability(session: Session, closer: User) -> AvailabilityChange:
    """The closer's saved availability as the command that would save it again (what the page's forms change)."""
    settings = load_settings(session, closer.id)
    if settings is None:
        return AvailabilityChange(timezone=closer.timezone, time_off=())

    def hhmm(minute: int, *, end: bool = False) -> str:
        return format_hhmm(minute_to_time(minute), end=end)

    return AvailabilityChange(
        timezone=closer.timezone,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.buffer_minutes,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.horizon_days,
        max_per_day=settings.max_per_day,
        weekly=tuple(
            WeeklyWindow(w.weekday, hhmm(w.start_minute), hhmm(w.end_minute, end=True)) for w in settings.weekly
        ),
        overrides=tuple(
            DayOverride(
                o.day.isoformat(),
                tuple((hhmm(i.start_minute), hhmm(i.end_minute, end=True)) for i in o.intervals),
            )
            for o in settings.overrides
        ),
        time_off=tuple(TimeOffPeriod(t.starts_at, t.ends_at, t.reason) for t in settings.time_off),
    )


def replace_availability(
    session: Session, closer: User, change: AvailabilityChange, *, now: datetime
) -> AvailabilityRules:
    """Replace the closer's whole availability with ``change``, atomically.

    ``change.timezone`` None keeps the closer's zone (given, it is also their profile zone);
    ``change.time_off`` None keeps the current time off (a tuple replaces it). Every problem
    is reported at once, keyed as ``build_rules`` names them (``weekly[2].end``; the API's
    dotted names come from ``AvailabilityChange.field_name``); on any error nothing changes.
    Commits once, together with the refreshed search summary.
    """
    if closer.role != Role.CLOSER:
        raise PermissionDenied(_("Only closers have availability."))
    settings = load_settings(session, closer.id)
    zone = change.timezone.strip() if change.timezone is not None else closer.timezone
    if change.time_off is None:
        time_off = tuple(TimeOffPeriod(t.starts_at, t.ends_at, t.reason) for t in settings.time_off) if settings else ()
    else:
        time_off = change.time_off

    errors: dict[str, str] = {}
    reasons = [_clean_reason(item.reason, f"time_off[{i}].reason", errors) for i, item in enumerate(time_off)]
    try:
        rules = build_rules(
            timezone=zone,
            slot_minutes=change.slot_minutes,
            buffer_minutes=change.buffer_minutes,
            min_notice_minutes=change.min_notice_minutes,
            horizon_days=change.horizon_days,
            max_per_day=change.max_per_day,
            weekly=[{"weekday": w.weekday, "start": w.start, "end": w.end} for w in change.weekly],
            overrides=[{"date": o.date, "intervals": o.intervals} for o in change.overrides],
            time_off=[{"start": t.start, "end": t.end} for t in time_off],
        )
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationError(_("Please correct the highlighted availability fields."), field_errors=errors)

    if settings is None:
        settings = AvailabilitySettings(closer_id=closer.id, weekly=[], overrides=[], time_off=[])
        session.add(settings)
    for key in SETTING_FIELDS:
        setattr(settings, key, getattr(rules, key))
    settings.updated_at = now
    settings.rules_etag = new_rules_etag()  # processes holding the old rules in memory read them again
    # Empty the collections and flush before adding: the unit of work may otherwise insert
    # a re-added override date before deleting the old row (unique per closer and date).
    settings.weekly.clear()
    settings.overrides.clear()
    settings.time_off.clear()
    session.flush()
    settings.weekly.extend(
        WeeklyRule(weekday=w.weekday, start_minute=w.minutes[0], end_minute=w.minutes[1]) for w in rules.weekly
    )
    settings.overrides.extend(
        DateOverrideRow(day=o.day, intervals=[OverrideInterval(start_minute=s, end_minute=e) for s, e in o.minutes])
        for o in rules.overrides
    )
    settings.time_off.extend(
        TimeOffRow(starts_at=t.start, ends_at=t.end, reason=reason)
        for t, reason in zip(rules.time_off, reasons, strict=True)
    )
    closer.timezone = rules.timezone
    session.flush()
    refresh_summary(session, closer.id, now)
    session.commit()
    return rules


def _clean_reason(reason: str, path: str, errors: dict[str, str]) -> str:
    if len(reason.strip()) > REASON_MAX or "\x00" in reason:
        errors.setdefault(path, _("At most %(limit)d characters of plain text.", limit=REASON_MAX))
        return ""
    return " ".join(reason.split())


# --- reading slots -------------------------------------------------------------------------


def slots_for_dates(
    session: Session,
    closer: User,
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    call: tuple[int, int] | None = None,
) -> list[Slot]:
    """Free slots starting on the viewer's local dates ``from_date``..``to_date`` (≤ 62 days).

    The one function behind the availability preview and ``GET /api/v1/closers/{id}/slots``.
    ``call``: an offer's ``(call_minutes, start_increment_minutes)`` (``Offer.call``) to cut its
    calls out of the closer's windows instead of the closer's own slots.
    """
    return slots_for_many(
        session, [closer], viewer_zone=viewer_zone, from_date=from_date, to_date=to_date, now=now, call=call
    )[closer.id]


def slots_for_many(
    session: Session,
    closers: list[User],
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    call: tuple[int, int] | None = None,
) -> dict[int, list[Slot]]:
    """``slots_for_dates`` of several closers, by closer id, in a number of statements that does not
    grow with them: their rules in one batch (``rules_for_many``), their busy time in one statement;
    the slots themselves from ``slot_cache`` (the engine runs only for rules or busy time it has not seen)."""
    low, high, inputs = _slot_inputs(session, closers, viewer_zone, from_date, to_date, call, now=now)
    return {
        closer_id: slot_cache.free_slots(rules, etag, busy, now=now, range_start=low, range_end=high)
        for closer_id, (rules, etag, busy) in inputs.items()
    }


def free_starts_many(
    session: Session,
    closers: list[User],
    *,
    viewer_zone: str,
    from_date: date,
    to_date: date,
    now: datetime,
    call: tuple[int, int] | None = None,
    etags: dict[int, str] | None = None,
) -> set[datetime]:
    """Every start at which at least one of ``closers`` is free (``slots_for_many``'s starts, merged):
    what an offer's booking page shows, without building a slot per closer. ``etags``: the saved
    closers' ``rules_etag`` as ``current_etags`` returns them, when the caller read them this request."""
    low, high, inputs = _slot_inputs(session, closers, viewer_zone, from_date, to_date, call, etags, now=now)
    starts: set[datetime] = set()
    for rules, etag, busy in inputs.values():
        for run in slot_cache.free_starts(rules, etag, busy, now=now, range_start=low, range_end=high):
            starts.update(run)
    return starts


def _slot_inputs(
    session: Session,
    closers: list[User],
    viewer_zone: str,
    from_date: date,
    to_date: date,
    call: tuple[int, int] | None,
    etags: dict[int, str] | None = None,
    *,
    now: datetime,
) -> tuple[datetime, datetime, dict[int, tuple[AvailabilityRules, str | None, list[Busy]]]]:
    """The UTC span of the viewer's dates and, by closer, the rules (cut for ``call``), the cache's etag
    and the busy time read over ``slot_cache.busy_window``: two statements (etags, busy time), plus the
    rules rows of closers whose rules this process has not built yet."""
    low, high = dates_range(viewer_zone, from_date, to_date)
    if etags is None:
        etags = current_etags(session, [c.id for c in closers])
    rules = rules_for_many(session, closers, etags={c.id: etags.get(c.id) for c in closers})
    if call is not None:
        rules = {i: r.for_call(*call) for i, r in rules.items()}
    window = slot_cache.busy_window(low, high)
    busy = busy_intervals_many(session, {c.id: window for c in closers}, now=now)
    inputs = {}
    for c in closers:
        etag = etags.get(c.id, slot_cache.DEFAULT_RULES)
        inputs[c.id] = (rules[c.id], etag or None, busy[c.id])  # a saved etag '' (older rows): not cached
    return low, high, inputs


def preview_dates(closer: User, now: datetime, days: int = PREVIEW_DAYS) -> tuple[date, date]:
    """Today and the 13 days after it, in the closer's zone: the window the availability page previews."""
    today = to_local(now, closer.timezone).date()
    return today, today + timedelta(days=days - 1)


def next_available_at(session: Session, closer: User, now: datetime) -> datetime | None:
    """Start of the closer's first free slot from ``now`` (notice and horizon applied), or None."""
    rules = rules_for(session, closer)
    return _next_free(session, closer.id, rules, now)


def _next_free(session: Session, closer_id: int, rules: AvailabilityRules, now: datetime) -> datetime | None:
    start, end = now - timedelta(days=2), now + timedelta(days=rules.horizon_days + 2)
    slot = next_free_slot(rules, busy_intervals(session, closer_id, start, end, now=now), now=now)
    return slot.start if slot else None
