"""A closer's stored availability read as the engine's rules, and their busy time.

Shared by the availability use cases and the search summary (``closers.summary``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import CompoundSelect, Select, literal_column, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from closerhub.accounts.models import User
from closerhub.closers.models import AvailabilitySettings, DateOverrideRow
from closerhub.core.availability import MINUTES_PER_DAY, AvailabilityRules, DateOverride, TimeOff, WeeklyInterval
from closerhub.core.slots import Busy

#: What a closer who never saved their availability gets (and what an omitted API field means).
DEFAULTS: dict[str, Any] = {
    "slot_minutes": 60,
    "buffer_minutes": 0,
    "min_notice_minutes": 240,
    "horizon_days": 60,
    "max_per_day": None,
}
SETTING_FIELDS = tuple(DEFAULTS)


# --- busy time (the seam for booking) ------------------------------------------------------

# No call lasts this long (calls are at most SLOT_MINUTES_RANGE's 240 minutes): a call touching a
# window starts less than this before it, so the busy read is an index range bounded on both
# sides of ``starts_at``, its cost independent of how many calls the closer had before.
CALL_MAX = timedelta(days=1)


def busy_intervals(
    session: Session, closer_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None, now: datetime
) -> list[Busy]:
    """The closer's busy time touching ``[start, end)``, as UTC ``Busy`` ranges (buffers are added by the engine).

    Booked calls, and the busy time read from the closer's own calendars
    (``Busy.external``); a calendar that has been unreadable past its threshold
    (``CalendarConnection.fails_closed_at``, unless the closer chose to keep offering) makes
    the whole window busy: fail closed (past that threshold at ``now``, the caller's instant). One statement.

    Callers pass a window already widened by a day each side (see
    ``slot_cache.busy_window``), so the calls on the closer-local days of the
    range are all here for the engine's ``max_per_day`` count. ``exclude_id`` leaves one
    appointment out (a reschedule must not collide with the call it moves). Every caller
    (preview, API slots, summaries, booking) goes through here.
    """
    if start >= end:  # an empty window (a query with from after to): nothing overlaps it
        return []
    params: dict[str, Any] = {
        "closer_id": closer_id,
        "since": start,
        "until": end,
        "starts_after": start - CALL_MAX,
        "now": now,
    }
    if exclude_id is not None:
        params["exclude_id"] = exclude_id
    return [
        Busy(s, e, external=bool(x))
        for s, e, x in session.execute(_busy_statement(exclude_id is not None, _dialect(session)), params)
    ]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class BusySource:
    """What a package above closers adds to a closer's busy time (registered at app creation with
    ``add_busy_source``, in order: booking's calls, then calendars' busy times).

    ``one(excluding, dialect)``: selects of ``(starts_at, ends_at, external)`` for the closer bound
    as ``:closer_id`` touching ``[:since, :until)`` (parameters ``:starts_after``, ``:now`` and, when
    ``excluding``, ``:exclude_id`` are bound too). ``many(dialect)``: the same for the closers in
    ``:closer_ids``, as ``(closer_id, starts_at, ends_at, external, unreadable)``; an ``unreadable``
    row makes that closer's whole window busy. Both are module-level functions (the statements
    are built once per dialect and cached).
    """

    one: Callable[[bool, str], Sequence[Select[Any]]]
    many: Callable[[str], Sequence[Select[Any]]]


_SOURCES = "closerhub.closers.busy_sources"


def add_busy_source(app: Flask, source: BusySource) -> None:
    """Read ``source`` in every busy-time statement of ``app``, after the sources added before it."""
    app.extensions.setdefault(_SOURCES, []).append(source)


def _sources() -> tuple[BusySource, ...]:
    return tuple(current_app.extensions.get(_SOURCES, ()))


def _busy_statement(excluding: bool, dialect: str = "sqlite") -> CompoundSelect:
    """``busy_intervals``' query: the union of the registered sources' selects, by start."""
    return _union_one(_sources(), excluding, dialect)


@functools.cache
def _union_one(sources: tuple[BusySource, ...], excluding: bool, dialect: str) -> CompoundSelect:
    parts = [part for source in sources for part in source.one(excluding, dialect)]
    return union_all(*parts).order_by(literal_column("1"))


def busy_intervals_many(
    session: Session, windows: Mapping[int, tuple[datetime, datetime]], *, now: datetime
) -> dict[int, list[Busy]]:
    """``busy_intervals`` of several closers at once, each over its own ``[start, end)``: one statement.

    ``windows``: closer id → window (as ``busy_intervals`` takes it). The booking page and an
    offer's alternatives read every engaged closer's busy time; a statement per closer made the
    page grow with the offer's closers. The statement reads the union of the windows; each
    closer then keeps what touches its own window, and a fail-closed calendar covers exactly
    that window, so every closer gets what ``busy_intervals`` would have returned.
    """
    found: dict[int, list[Busy]] = {i: [] for i in windows}
    windows = {i: w for i, w in windows.items() if w[0] < w[1]}  # an empty window has no busy time
    if not windows:
        return found
    since = min(w[0] for w in windows.values())
    until = max(w[1] for w in windows.values())
    params = {
        "closer_ids": list(windows),
        "since": since,
        "until": until,
        "starts_after": since - CALL_MAX,
        "now": now,
    }
    for closer_id, s, e, x, unreadable in session.execute(_busy_many_statement(_dialect(session)), params):
        low, high = windows[closer_id]
        if unreadable:
            found[closer_id].append(Busy(low, high, external=True))
        elif s < high and e > low:
            found[closer_id].append(Busy(s, e, external=bool(x)))
    return found


def _busy_many_statement(dialect: str = "sqlite") -> CompoundSelect:
    """``busy_intervals_many``' query: ``_busy_statement`` over a list of closers, with the closer id."""
    return _union_many(_sources(), dialect)


@functools.cache
def _union_many(sources: tuple[BusySource, ...], dialect: str) -> CompoundSelect:
    parts = [part for source in sources for part in source.many(dialect)]
    return union_all(*parts).order_by(literal_column("1"), literal_column("2"))


# --- rows ⇄ rules --------------------------------------------------------------------------


def minute_to_time(minute: int) -> time:
    """Minutes after midnight → ``time``; 1440 (24:00) becomes ``time(0)``, the engine's end-of-day."""
    minute %= MINUTES_PER_DAY
    return time(minute // 60, minute % 60)


def load_settings(session: Session, closer_id: int) -> AvailabilitySettings | None:
    """The closer's saved settings with their intervals, overrides and time off (None if never saved)."""
    return (
        session.scalars(
            select(AvailabilitySettings)
            .where(AvailabilitySettings.closer_id == closer_id)
            .options(*rules_loader_options())
        )
        .unique()
        .first()
    )


def rules_loader_options() -> tuple[Any, ...]:
    """Loader options that fetch settings rows with their intervals (joined: a week is a handful of rows),
    overrides and time off: three queries in all, whatever the number of rows (call ``.unique()`` on the result)."""
    return (
        joinedload(AvailabilitySettings.weekly),
        selectinload(AvailabilitySettings.overrides).selectinload(DateOverrideRow.intervals),
        selectinload(AvailabilitySettings.time_off),
    )


def rules_from_rows(zone: str, settings: AvailabilitySettings | None) -> AvailabilityRules:
    """The engine's rules from stored rows (validated when saved, so built directly)."""
    if settings is None:
        return AvailabilityRules(timezone=zone, **DEFAULTS)
    return AvailabilityRules(
        timezone=zone,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.buffer_minutes,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.horizon_days,
        max_per_day=settings.max_per_day,
        weekly=tuple(
            WeeklyInterval(w.weekday, minute_to_time(w.start_minute), minute_to_time(w.end_minute))
            for w in settings.weekly
        ),
        overrides=tuple(
            DateOverride(
                o.day, tuple((minute_to_time(i.start_minute), minute_to_time(i.end_minute)) for i in o.intervals)
            )
            for o in settings.overrides
        ),
        time_off=tuple(TimeOff(t.starts_at, t.ends_at) for t in settings.time_off),
    )


def rules_for(session: Session, closer: User) -> AvailabilityRules:
    """The closer's current rules in their zone."""
    return rules_for_many(session, [closer])[closer.id]


#: Rules built from rows, by (``rules_etag``, zone). Every save gives the settings a new random
#: etag, and each read first asks the database for the current etags (one small query), so
#: an entry is never stale; it only saves re-reading and rebuilding unchanged rows (three
#: queries). Bounded: emptied when full. Shared by the threads of a process (plain dict
#: operations; at worst two threads build the same entry).
_RULES_CACHE: dict[tuple[str, str], AvailabilityRules] = {}
RULES_CACHE_SIZE = 10_000


def rules_for_many(
    session: Session, closers: list[User], *, etags: dict[int, str | None] | None = None
) -> dict[int, AvailabilityRules]:
    """Several closers' current rules by closer id: one query for the etags, and the rows
    (three queries for all of them) only of closers whose rules this process has not built yet.

    Routing checks every closer of an offer, and every booking checks its closer's rules.
    ``etags``: every closer's current ``rules_etag`` (None if never saved) when the caller
    has read them in its own query, saving the first one.
    """
    if etags is None:
        saved = current_etags(session, [c.id for c in closers])
    else:  # the caller read them (None: never saved)
        saved = {k: v for k, v in etags.items() if v is not None}
    found: dict[int, AvailabilityRules] = {}
    missing: list[User] = []
    for closer in closers:
        if closer.id not in saved:  # never saved: the defaults, nothing to read
            found[closer.id] = rules_from_rows(closer.timezone, None)
        elif (cached := _RULES_CACHE.get((saved[closer.id], closer.timezone))) is not None:
            found[closer.id] = cached
        else:
            missing.append(closer)
    if missing:
        rows = {
            s.closer_id: s
            for s in session.scalars(
                select(AvailabilitySettings)
                .where(AvailabilitySettings.closer_id.in_([c.id for c in missing]))
                .options(*rules_loader_options())
                .execution_options(populate_existing=True)
            ).unique()
        }
        settled = _etags_still(session, saved, [c.id for c in missing if saved[c.id]])  # '' is never cached
        if len(_RULES_CACHE) + len(missing) > RULES_CACHE_SIZE:
            _RULES_CACHE.clear()
        for closer in missing:
            settings = rows.get(closer.id)
            rules = found[closer.id] = rules_from_rows(closer.timezone, settings)
            if settings is not None and settings.rules_etag and settings.rules_etag == settled.get(closer.id):
                _RULES_CACHE[(settings.rules_etag, closer.timezone)] = rules
    return found


def _etags_still(session: Session, etags: dict[int, str], ids: list[int]) -> dict[int, str]:
    """``etags`` of ``ids`` as they are once the rows were read: a rule set is cached only if its etag
    did not change meanwhile. On PostgreSQL (READ COMMITTED) the settings row and its weekly,
    override and time-off rows come from separate statements, so a save committed between them
    would mix two versions; SQLite reads one snapshot per transaction."""
    if not ids or session.get_bind().dialect.name == "sqlite":
        return {i: etags[i] for i in ids}
    now = current_etags(session, ids)
    return {i: etags[i] for i in ids if now.get(i) == etags[i]}


def current_etags(session: Session, ids: list[int]) -> dict[int, str]:
    """The saved closers among ``ids`` with their ``rules_etag`` (one small query)."""
    rows = session.execute(
        select(AvailabilitySettings.closer_id, AvailabilitySettings.rules_etag).where(
            AvailabilitySettings.closer_id.in_(ids)
        )
    )
    return {closer_id: etag for closer_id, etag in rows}
