"""Reading raw availability input (API JSON or form data) into the values of ``core.availability_values``,
and checking it: each problem is added to ``errors`` under its field path (``weekly[2].end``,
``overrides[0].intervals[1].start``). ``core.availability.build_rules`` runs them (pure).

An unparsable item becomes None, so later items keep their index in the field paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time

from closerhub.core.availability_values import (
    HORIZON_DAYS_RANGE,
    MAX_BUFFER_MINUTES,
    MAX_NOTICE_MINUTES,
    MAX_PER_DAY_RANGE,
    SLOT_MINUTES_RANGE,
    WEEKDAY_NAMES,
    DateOverride,
    TimeOff,
    WeeklyInterval,
    end_minute,
    parse_hhmm,
    start_minute,
)
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.tz import is_valid_zone


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


def parse_weekly(item: object, path: str, errors: dict[str, str]) -> WeeklyInterval | None:
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
    return WeeklyInterval(weekday, start, end)  # type: ignore[arg-type]  # weekday checked by check_weekly


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


def parse_override(item: object, path: str, errors: dict[str, str]) -> DateOverride | None:
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


def parse_time_off(item: object, path: str, errors: dict[str, str]) -> TimeOff | None:
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


def check_scalars(values: dict[str, object], errors: dict[str, str]) -> None:
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


def check_weekly(weekly: Sequence[WeeklyInterval | None], slot: object, errors: dict[str, str]) -> None:
    by_weekday: dict[int, list[tuple[str, tuple[int, int]]]] = {}
    for i, interval in enumerate(weekly):
        if interval is not None and _check_weekday(interval.weekday, f"weekly[{i}].weekday", errors):
            by_weekday.setdefault(interval.weekday, []).append((f"weekly[{i}]", interval.minutes))
    for weekday, items in by_weekday.items():
        _check_intervals(items, slot, errors, _(WEEKDAY_NAMES[weekday]))


def check_overrides(overrides: Sequence[DateOverride | None], slot: object, errors: dict[str, str]) -> None:
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
