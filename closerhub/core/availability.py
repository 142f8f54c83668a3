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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _, ngettext
from closerhub.core.tz import day_bounds_utc, is_valid_zone

MINUTES_PER_DAY = 24 * 60
SLOT_MINUTES_RANGE = (15, 240)
#: The start increments an offer may choose (minutes).
START_INCREMENTS = (5, 10, 15, 20, 30, 60)
HORIZON_DAYS_RANGE = (1, 365)
MAX_PER_DAY_RANGE = (1, 48)
MAX_BUFFER_MINUTES = MINUTES_PER_DAY
MAX_NOTICE_MINUTES = 365 * MINUTES_PER_DAY
#: Marked only: translate where shown (``_(WEEKDAY_NAMES[i])``).
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str, *, field: str = "time", end: bool = False) -> time:
    """Parse ``"HH:MM"`` (24-hour clock) into a ``time``; with ``end=True`` ``"24:00"`` gives ``time(0)``."""
    if isinstance(text, str):
        value = text.strip()
        if end and value == "24:00":
            return time(0)
        match = _HHMM.match(value)
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    hint = "00:00–24:00" if end else "00:00–23:59"
    raise ValidationError(
        _("%(field)s: use HH:MM (%(range)s).", field=field, range=hint),
        field_errors={field: _("Use HH:MM (%(range)s).", range=hint)},
    )


def format_hhmm(value: time, *, end: bool = False) -> str:
    """``time`` back to ``"HH:MM"``; an end of ``time(0)`` is written ``"24:00"``."""
    return "24:00" if end and value == time(0) else f"{value.hour:02d}:{value.minute:02d}"


def start_minute(value: time) -> int:
    """Minutes after midnight of an interval start."""
    return value.hour * 60 + value.minute


def end_minute(value: time) -> int:
    """Minutes after midnight of an interval end (``time(0)`` = 24:00 = 1440)."""
    return start_minute(value) or MINUTES_PER_DAY


@dataclass(frozen=True)
class WeeklyInterval:
    """Every ``weekday`` (0 = Monday), the closer works ``[start, end)`` wall-clock (end ``time(0)`` = 24:00)."""

    weekday: int
    start: time
    end: time

    @property
    def minutes(self) -> tuple[int, int]:
        return start_minute(self.start), end_minute(self.end)


@dataclass(frozen=True)
class DateOverride:
    """On ``day`` these intervals replace the weekly rules; none at all = a day off."""

    day: date
    intervals: tuple[tuple[time, time], ...] = ()

    @property
    def minutes(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((start_minute(s), end_minute(e)) for s, e in self.intervals))


@dataclass(frozen=True)
class TimeOff:
    """A UTC half-open range ``[start, end)`` when the closer takes no calls (holiday, sick day)."""

    start: datetime
    end: datetime


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
    _check_scalars(scalars, errors)
    slot = slot_minutes if "slot_minutes" not in errors else None
    parsed_weekly = [_parse_weekly(item, f"weekly[{i}]", errors) for i, item in enumerate(weekly)]
    parsed_overrides = [_parse_override(item, f"overrides[{i}]", errors) for i, item in enumerate(overrides)]
    parsed_off = [_parse_time_off(item, f"time_off[{i}]", errors) for i, item in enumerate(time_off)]
    _check_weekly(parsed_weekly, slot, errors)
    _check_overrides(parsed_overrides, slot, errors)
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


# --- parsing raw input (unparsable items become None so later indices keep their names) ----------


def _as_time(value: object, path: str, errors: dict[str, str], *, end: bool) -> time | None:
    if isinstance(value, time):
        if value.second or value.microsecond:
            errors.setdefault(path, _("Use whole minutes (HH:MM)."))
            return None
        return value.replace(tzinfo=None)
    try:
        return parse_hhmm(value, field=path, end=end)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors.setdefault(path, exc.field_errors[path])
        return None


def _parse_weekly(item: object, path: str, errors: dict[str, str]) -> WeeklyInterval | None:
    if isinstance(item, WeeklyInterval):
        item = {"weekday": item.weekday, "start": item.start, "end": item.end}
    if not isinstance(item, Mapping):
        errors.setdefault(path, _("Give weekday, start and end."))
        return None
    weekday = item.get("weekday")
    start = _as_time(item.get("start"), f"{path}.start", errors, end=False)
    end = _as_time(item.get("end"), f"{path}.end", errors, end=True)
    if start is None or end is None:
        _check_weekday(weekday, f"{path}.weekday", errors)
        return None
    return WeeklyInterval(weekday, start, end)  # type: ignore[arg-type]  # weekday checked by _check_weekly


def _parse_pair(item: object, path: str, errors: dict[str, str]) -> tuple[time, time] | None:
    if isinstance(item, Mapping):
        raw_start, raw_end = item.get("start"), item.get("end")
    elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
        raw_start, raw_end = item
    else:
        errors.setdefault(path, _("Give a start and an end."))
        return None
    start = _as_time(raw_start, f"{path}.start", errors, end=False)
    end = _as_time(raw_end, f"{path}.end", errors, end=True)
    return None if start is None or end is None else (start, end)


def _parse_override(item: object, path: str, errors: dict[str, str]) -> DateOverride | None:
    if isinstance(item, DateOverride):
        item = {"date": item.day, "intervals": item.intervals}
    if not isinstance(item, Mapping):
        errors.setdefault(path, _("Give a date and its intervals."))
        return None
    day = _as_date(item.get("date", item.get("day")), f"{path}.date", errors)
    raw_intervals = item.get("intervals") or []
    if isinstance(raw_intervals, str | bytes | Mapping) or not isinstance(raw_intervals, Iterable):
        errors.setdefault(f"{path}.intervals", _("Give a list of intervals (empty for a day off)."))
        return None
    pairs = [_parse_pair(pair, f"{path}.intervals[{j}]", errors) for j, pair in enumerate(raw_intervals)]
    if day is None or any(pair is None for pair in pairs):
        return None
    return DateOverride(day, tuple(pair for pair in pairs if pair is not None))


def _as_date(value: object, path: str, errors: dict[str, str]) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.setdefault(path, _("Use a date as YYYY-MM-DD."))
    return None


def _as_instant(value: object, path: str, errors: dict[str, str]) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            errors.setdefault(path, _("Use an ISO date-time with its offset, e.g. 2026-08-01T00:00:00+02:00."))
            return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        errors.setdefault(path, _("Give the time with its UTC offset (e.g. +02:00 or Z)."))
        return None
    return value.astimezone(UTC)


def _parse_time_off(item: object, path: str, errors: dict[str, str]) -> TimeOff | None:
    if isinstance(item, TimeOff):
        item = {"start": item.start, "end": item.end}
    if not isinstance(item, Mapping):
        errors.setdefault(path, _("Give a start and an end."))
        return None
    start = _as_instant(item.get("start"), f"{path}.start", errors)
    end = _as_instant(item.get("end"), f"{path}.end", errors)
    if start is None or end is None:
        return None
    if end <= start:
        errors.setdefault(f"{path}.end", _("End must be after start."))
        return None
    return TimeOff(start, end)


# --- rules on typed values ------------------------------------------------------------------------


def _check_int(value: object, path: str, low: int, high: int, errors: dict[str, str], message: str) -> bool:
    """``message``: the ``N_``-marked sentence for a value out of range, with ``%(low)d`` and ``%(high)d``."""
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(path, _("Give a whole number."))
        return False
    if not low <= value <= high:
        errors.setdefault(path, _(message, low=low, high=high))
        return False
    return True


def _check_weekday(value: object, path: str, errors: dict[str, str]) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        errors.setdefault(path, _("Weekday must be 0 (Monday) to 6 (Sunday)."))
        return False
    return True


def _label(minutes: tuple[int, int]) -> str:
    start, end = minutes
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


def _check_intervals(
    items: list[tuple[str, tuple[int, int]]], slot: object, errors: dict[str, str], where: str
) -> None:
    """``items`` are ``(path, (start, end))`` of one weekday or one override date."""
    valid: list[tuple[int, int, str]] = []
    for path, (start, end) in items:
        if end <= start:
            errors.setdefault(f"{path}.end", _("End must be after start (use 24:00 for midnight)."))
        elif isinstance(slot, int) and end - start < slot:
            errors.setdefault(f"{path}.end", _("Shorter than one %(minutes)d-minute slot.", minutes=slot))
        else:
            valid.append((start, end, path))
    valid.sort()
    latest: tuple[int, int] | None = None  # the earlier interval reaching furthest
    for start, end, path in valid:
        if latest is not None and start < latest[1]:
            errors.setdefault(
                f"{path}.start", _("Overlaps %(interval)s on %(day)s.", interval=_label(latest), day=where)
            )
        if latest is None or end > latest[1]:
            latest = (start, end)


def _check_scalars(values: dict[str, object], errors: dict[str, str]) -> None:
    if not is_valid_zone(values["timezone"]):
        errors["timezone"] = _("Unknown time zone; use an IANA name such as Europe/Paris.")
    _check_int(
        values["slot_minutes"],
        "slot_minutes",
        *SLOT_MINUTES_RANGE,
        errors,
        N_("Slot length must be between %(low)d and %(high)d."),
    )
    _check_int(
        values["buffer_minutes"],
        "buffer_minutes",
        0,
        MAX_BUFFER_MINUTES,
        errors,
        N_("Buffer must be between %(low)d and %(high)d."),
    )
    _check_int(
        values["min_notice_minutes"],
        "min_notice_minutes",
        0,
        MAX_NOTICE_MINUTES,
        errors,
        N_("Minimum notice must be between %(low)d and %(high)d."),
    )
    _check_int(
        values["horizon_days"],
        "horizon_days",
        *HORIZON_DAYS_RANGE,
        errors,
        N_("Horizon must be between %(low)d and %(high)d."),
    )
    if values["max_per_day"] is not None:
        _check_int(
            values["max_per_day"],
            "max_per_day",
            *MAX_PER_DAY_RANGE,
            errors,
            N_("Calls per day must be between %(low)d and %(high)d."),
        )


def _check_weekly(weekly: Sequence[WeeklyInterval | None], slot: object, errors: dict[str, str]) -> None:
    by_weekday: dict[int, list[tuple[str, tuple[int, int]]]] = {}
    for i, interval in enumerate(weekly):
        if interval is not None and _check_weekday(interval.weekday, f"weekly[{i}].weekday", errors):
            by_weekday.setdefault(interval.weekday, []).append((f"weekly[{i}]", interval.minutes))
    for weekday, items in by_weekday.items():
        _check_intervals(items, slot, errors, _(WEEKDAY_NAMES[weekday]))


def _check_overrides(overrides: Sequence[DateOverride | None], slot: object, errors: dict[str, str]) -> None:
    seen: dict[date, int] = {}
    for i, override in enumerate(overrides):
        if override is None:
            continue
        if override.day in seen:
            first = seen[override.day]
            errors.setdefault(
                f"overrides[{i}].date",
                _(
                    "%(date)s is already overridden by overrides[%(index)d].",
                    date=override.day.isoformat(),
                    index=first,
                ),
            )
        seen.setdefault(override.day, i)
        items = [
            (f"overrides[{i}].intervals[{j}]", (start_minute(s), end_minute(e)))
            for j, (s, e) in enumerate(override.intervals)
        ]
        _check_intervals(items, slot, errors, override.day.isoformat())
