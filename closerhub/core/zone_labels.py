"""Time-zone pickers: IANA names as values, labels people read in their language.

``(UTC+01:00) Paris, France`` and ``(UTC-05:00) New York, United States`` in English, ``(UTC-03:00) São Paulo, Brésil``
in French: the offset on the given day, the zone's city and country from CLDR (Babel), sorted west to
east then by city. Pure code: the caller gives the language and the day (offsets follow DST). A list
is built once per language and day (about half a second for every zone) and kept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location

from closerhub.core.tz import canonical_zones, to_local, utc_offset_label

ZoneChoice = tuple[str, str]  # (IANA value, label)


def _locale(language: str) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_").split("_")[0])
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def _sort_key(text: str) -> str:
    """Accents and case aside, so "Écosse" sorts with the E's."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()


def zone_place(zone: str, locale: Locale) -> str:
    """``Paris, France``, ``New York, États-Unis``, ``UTC``: where a zone is, in the reader's language."""
    if zone in ("UTC", "Etc/UTC"):
        return "UTC"
    city = str(get_timezone_location(zone, locale=locale, return_city=True))
    city = city.rsplit("/", 1)[-1].replace("_", " ")  # CLDR has no city for a few (Argentina/Salta)
    territory = get_global("zone_territories").get(zone)
    country = locale.territories.get(territory) if territory and territory != "001" else None
    return f"{city}, {country}" if country and country != city else city


def zone_label(zone: str, locale: Locale, at: datetime) -> str:
    """``(UTC+01:00) Paris, France``: the zone's offset at ``at`` and its place."""
    return f"({utc_offset_label(at, zone)}) {zone_place(zone, locale)}"


@lru_cache(maxsize=8)
def _places(language: str) -> dict[str, str]:
    """Each canonical zone's place in ``language``: the slow part (CLDR look-ups, about half a second
    for every zone), done once per language."""
    locale = _locale(language)
    return {zone: zone_place(zone, locale) for zone in canonical_zones()}


@lru_cache(maxsize=32)
def _choices(language: str, day: date, extra: frozenset[str]) -> tuple[ZoneChoice, ...]:
    places = dict(_places(language))
    locale = _locale(language)
    places.update({zone: zone_place(zone, locale) for zone in extra - places.keys()})
    at = datetime.combine(day, time(12), tzinfo=UTC)
    rows = []
    for zone, place in places.items():
        offset = to_local(at, zone).utcoffset()
        seconds = offset.total_seconds() if offset is not None else 0.0
        rows.append((seconds, _sort_key(place), zone, f"({utc_offset_label(at, zone)}) {place}"))
    rows.sort()
    return tuple((zone, label) for _seconds, _key, zone, label in rows)


def zone_choices(language: str, now: datetime, zones: Iterable[str] | None = None) -> list[ZoneChoice]:
    """(value, label) pairs for a picker in ``language``, offsets as of ``now``'s day: every canonical zone,
    plus ``zones`` (a current value that is an alias, so a form still shows it)."""
    extra = frozenset(zones or ()) - canonical_zones()
    return list(_choices((language or "en").split("_")[0], now.astimezone(UTC).date(), extra))


@lru_cache(maxsize=8)
def _named(language: str) -> dict[str, str | None]:
    """What people call each canonical zone in ``language`` (its IANA name, its place, its city), folded
    as ``_sort_key`` folds it → the zone; None for a name two zones share."""
    names: dict[str, str | None] = {}
    for zone, place in _places(language).items():
        for name in {zone, place, place.split(", ")[0]}:
            key = _sort_key(name)
            names[key] = zone if names.get(key, zone) == zone else None
    return names


def zone_named(text: str, language: str) -> str | None:
    """The canonical zone ``text`` names: its IANA name or its city (``Paris``, ``sao paulo``,
    ``New York, United States``), in ``language`` or in English, accents and case aside; None when no
    zone, or several, answer to it."""
    key = _sort_key(" ".join(text.split()))
    for lang in dict.fromkeys((_locale(language).language, "en")):
        found = _named(lang).get(key)
        if found is not None:
            return found
    return None
