"""A closer's availability settings: typed, frozen, validated (pure; the engine is ``core.slots``).

Decisions (see also ``core.slots``):

* **Wall-clock rules.** Weekly intervals and date overrides are wall-clock times in the
  closer's zone, whole minutes, half-open ``[start, end)``. Weekday 0 is Monday.
* **24:00.** An interval may end at ``"24:00"`` (end of day). ``time`` cannot hold 24:00,
  so an *end* of ``time(0)`` means 24:00; a start of ``time(0)`` means 00:00. An interval
  never crosses midnight: write Monday 22:00–24:00 plus Tuesday 00:00–02:00.
* **Short intervals are refused**, not silently ignored: an interval shorter than one
  slot could never offer anything, which is almost always a typo ("09:00–09:30" with
  60-minute slots). Changing ``slot_minutes`` later re-validates every interval.
* **Overrides replace** the weekly rules of their date: no intervals = day off.
* **Time off is UTC instants**, half-open ``[start, end)``; a vacation given as local dates
  goes through :func:`time_off_for_dates` (the closer's zone, inclusive dates).
* ``max_per_day`` is ``None`` for unlimited, else 1–48 booked calls per closer-local day.

:func:`build_rules` takes raw input (API JSON or form data: ``"HH:MM"`` strings, ISO dates
and instants, or the dataclasses themselves) and raises one ``ValidationError`` carrying
every problem, keyed by field path such as ``weekly[2].end`` or ``overrides[0].intervals[1].start``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from closerhub.core.availability_input import (
    check_overrides,
    check_scalars,
    check_weekly,
    parse_override,
    parse_time_off,
    parse_weekly,
)
from closerhub.core.availability_values import (
    HORIZON_DAYS_RANGE,
    MAX_BUFFER_MINUTES,
    MAX_NOTICE_MINUTES,
    MAX_PER_DAY_RANGE,
    MINUTES_PER_DAY,
    SLOT_MINUTES_RANGE,
    START_INCREMENTS,
    WEEKDAY_NAMES,
    DateOverride,
    TimeOff,
    WeeklyInterval,
    end_minute,
    format_hhmm,
    parse_hhmm,
    start_minute,
)
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, ngettext
from closerhub.core.tz import day_bounds_utc

__all__ = [
    "HORIZON_DAYS_RANGE",
    "MAX_BUFFER_MINUTES",
    "MAX_NOTICE_MINUTES",
    "MAX_PER_DAY_RANGE",
    "MINUTES_PER_DAY",
    "SLOT_MINUTES_RANGE",
    "START_INCREMENTS",
    "WEEKDAY_NAMES",
    "AvailabilityRules",
    "DateOverride",
    "TimeOff",
    "WeeklyInterval",
    "build_rules",
    "end_minute",
    "format_hhmm",
    "parse_hhmm",
    "start_minute",
    "time_off_for_dates",
]


@dataclass(frozen=True)
class AvailabilityRules:
    """Everything the slot engine needs about one closer's availability (build with :func:`build_rules`)."""

    timezone: str
    slot_minutes: int = 60
    buffer_minutes: int = 0
    min_notice_minutes: int = 0
    horizon_days: int = 60
    max_per_day: int | None = None
    weekly: tuple[WeeklyInterval, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    time_off: tuple[TimeOff, ...] = field(default=())
    #: Minutes between candidate starts; None: one slot after the other (``slot_minutes``).
    step_minutes: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def step(self) -> int:
        """Minutes between candidate starts (wall clock): ``step_minutes``, else the slot length."""
        return self.step_minutes or self.slot_minutes

    def for_call(self, call_minutes: int, step_minutes: int) -> AvailabilityRules:
        """These rules cutting calls of ``call_minutes`` starting every ``step_minutes`` (an offer's calls)
        out of the same windows, buffer, notice, horizon and daily cap."""
        if call_minutes == self.slot_minutes and step_minutes == self.step:
            return self
        return replace(self, slot_minutes=call_minutes, step_minutes=step_minutes)

    @cached_property
    def _weekly_minutes(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for interval in self.weekly:
            days[interval.weekday].append(interval.minutes)
        return tuple(tuple(sorted(day)) for day in days)

    @cached_property
    def _override_minutes(self) -> dict[date, tuple[tuple[int, int], ...]]:
        return {override.day: override.minutes for override in self.overrides}

    def intervals_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The wall-clock intervals of a closer-local date as sorted ``(start, end)`` minutes after midnight."""
        override = self._override_minutes.get(day)
        return override if override is not None else self._weekly_minutes[day.weekday()]

    def weekly_on(self, weekday: int) -> tuple[tuple[int, int], ...]:
        """The weekly intervals of a weekday (overrides ignored), as minutes after midnight."""
        return self._weekly_minutes[weekday]

    def validate(self) -> AvailabilityRules:
        """Raise a ValidationError naming every bad field; return ``self`` when all is well."""
        build_rules(
            timezone=self.timezone,
            slot_minutes=self.slot_minutes,
            buffer_minutes=self.buffer_minutes,
            min_notice_minutes=self.min_notice_minutes,
            horizon_days=self.horizon_days,
            max_per_day=self.max_per_day,
            weekly=self.weekly,
            overrides=self.overrides,
            time_off=self.time_off,
        )
        return self


def time_off_for_dates(zone: str | ZoneInfo, first_day: date, last_day: date) -> TimeOff:
    """Time off covering the local dates ``first_day``..``last_day`` (inclusive) in ``zone``."""
    if last_day < first_day:
        raise ValidationError(
            _("The last day off is before the first."), field_errors={"to": _("Before the first day.")}
        )
    return TimeOff(day_bounds_utc(first_day, zone)[0], day_bounds_utc(last_day, zone)[1])


def build_rules(
    *,
    timezone: object,
    slot_minutes: object = 60,
    buffer_minutes: object = 0,
    min_notice_minutes: object = 0,
    horizon_days: object = 60,
    max_per_day: object = None,
    weekly: Iterable[WeeklyInterval | Mapping[str, Any]] = (),
    overrides: Iterable[DateOverride | Mapping[str, Any]] = (),
    time_off: Iterable[TimeOff | Mapping[str, Any]] = (),
) -> AvailabilityRules:
    """Parse and validate raw availability settings; one ValidationError lists every problem.

    ``weekly`` items: ``{"weekday": 0, "start": "09:00", "end": "12:00"}`` or WeeklyInterval.
    ``overrides`` items: ``{"date": "2026-12-24", "intervals": [{"start": "09:00", "end": "12:00"}]}``
    (intervals may also be ``["09:00", "12:00"]`` pairs) or DateOverride.
    ``time_off`` items: ``{"start": "2026-08-01T00:00:00+02:00", "end": ...}`` (ISO with offset,
    or aware datetimes) or TimeOff.
    """
    errors: dict[str, str] = {}
    scalars = {
        "timezone": timezone,
        "slot_minutes": slot_minutes,
        "buffer_minutes": buffer_minutes,
        "min_notice_minutes": min_notice_minutes,
        "horizon_days": horizon_days,
        "max_per_day": max_per_day,
    }
    check_scalars(scalars, errors)
    slot = slot_minutes if "slot_minutes" not in errors else None
    parsed_weekly = [parse_weekly(item, f"weekly[{i}]", errors) for i, item in enumerate(weekly)]
    parsed_overrides = [parse_override(item, f"overrides[{i}]", errors) for i, item in enumerate(overrides)]
    parsed_off = [parse_time_off(item, f"time_off[{i}]", errors) for i, item in enumerate(time_off)]
    check_weekly(parsed_weekly, slot, errors)
    check_overrides(parsed_overrides, slot, errors)
    if errors:
        first_field, first_message = next(iter(errors.items()))
        if len(errors) > 1:
            message = ngettext(
                "Check the availability settings: %(field)s: %(message)s (and %(num)d more)",
                "Check the availability settings: %(field)s: %(message)s (and %(num)d more)",
                len(errors) - 1,
                field=first_field,
                message=first_message,
            )
        else:
            message = _(
                "Check the availability settings: %(field)s: %(message)s", field=first_field, message=first_message
            )
        raise ValidationError(message, field_errors=errors)
    return AvailabilityRules(
        **scalars,  # type: ignore[arg-type]  # all checked above
        weekly=tuple(w for w in parsed_weekly if w is not None),
        overrides=tuple(o for o in parsed_overrides if o is not None),
        time_off=tuple(t for t in parsed_off if t is not None),
    )
