"""IANA time zones: validation and conversions between UTC instants and wall-clock times.

DST rules (see DESIGN.md): a wall time that does not exist on a day (spring forward) is
skipped; an ambiguous one (fall back) takes its first occurrence (``fold=0``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _


@lru_cache(maxsize=1)
def all_zones() -> frozenset[str]:
    """Every IANA zone name known to this system, without the legacy aliases' noise."""
    return frozenset(z for z in available_timezones() if "/" in z or z == "UTC")


@lru_cache(maxsize=1)
def canonical_zones() -> frozenset[str]:
    """The zones a picker offers: ``all_zones`` without deprecated aliases (``US/Eastern``,
    ``Asia/Calcutta``: CLDR's alias table, through Babel) and ``Etc/*``; ``UTC`` stays."""
    aliases = get_global("zone_aliases")
    return frozenset(z for z in all_zones() if z == "UTC" or (z not in aliases and not z.startswith("Etc/")))


def canonical_zone(name: str) -> str:
    """The canonical name of a valid zone (``Asia/Calcutta`` → ``Asia/Kolkata``); other names unchanged."""
    target = get_global("zone_aliases").get(name)
    return target if name != "UTC" and target in canonical_zones() else name


def is_valid_zone(name: object) -> bool:
    """True when ``name`` is an IANA zone name this system knows."""
    return isinstance(name, str) and name in all_zones()


def require_zone(name: object, field: str = "timezone") -> ZoneInfo:
    """The ``ZoneInfo`` for ``name`` or a ValidationError naming ``field``."""
    if not is_valid_zone(name):
        raise ValidationError(
            _("Unknown time zone %(zone)s; use an IANA name such as Europe/Paris.", zone=repr(name)),
            field_errors={field: _("Unknown time zone; use an IANA name such as Europe/Paris.")},
        )
    try:
        return ZoneInfo(str(name))
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - guarded by is_valid_zone
        raise ValidationError(
            _("Unknown time zone %(zone)s", zone=repr(name)), field_errors={field: _("Unknown time zone")}
        ) from exc


def require_aware(value: datetime, field: str = "start") -> datetime:
    """Refuse naive datetimes (an instant without an offset is ambiguous) and return UTC."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            _("Give the time with its UTC offset, e.g. 2026-12-01T09:00:00+01:00."),
            field_errors={field: _("Time needs a UTC offset (e.g. +01:00 or Z).")},
        )
    return value.astimezone(UTC)


def to_local(instant: datetime, zone: str | ZoneInfo) -> datetime:
    """The wall-clock time of a UTC instant in ``zone`` (aware, with that zone's offset)."""
    tz = zone if isinstance(zone, ZoneInfo) else require_zone(zone)
    return require_aware(instant, "instant").astimezone(tz)


def wall_time_exists(day: date, wall: time, zone: ZoneInfo) -> bool:
    """False for wall times skipped by a spring-forward transition (any tzinfo on ``wall`` is ignored)."""
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    local = naive.replace(tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == naive


def local_to_utc(day: date, wall: time, zone: str | ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time on a day in ``zone``.

    Returns ``None`` when that wall time does not exist (spring forward); an ambiguous
    wall time (fall back) resolves to its first occurrence. ``wall`` is read as a wall-clock
    time in ``zone``; any tzinfo it carries is ignored.
    """
    tz = zone if isinstance(zone, ZoneInfo) else require_zone(zone)
    if not wall_time_exists(day, wall, tz):
        return None
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)


def day_bounds_utc(day: date, zone: str | ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC half-open range ``[start, end)`` covering local calendar day ``day``.

    Midnight may not exist in some zones on DST days; the day then starts at the first
    wall time that exists.
    """
    tz = zone if isinstance(zone, ZoneInfo) else require_zone(zone)

    def first_instant(d: date) -> datetime:
        start = datetime.combine(d, time(0), tzinfo=tz)
        utc = start.astimezone(UTC)
        # If midnight was skipped, the round trip lands after midnight: that is the day's start.
        return utc

    return first_instant(day), first_instant(day + timedelta(days=1))


def utc_offset_label(instant: datetime, zone: str | ZoneInfo) -> str:
    """A human label such as ``UTC+05:30`` for the zone's offset at ``instant``."""
    local = to_local(instant, zone)
    offset = local.utcoffset() or timedelta(0)
    seconds = int(offset.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60  # truncate toward zero on both sides (LMT offsets have seconds)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
