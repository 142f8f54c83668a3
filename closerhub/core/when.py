"""One way to write an instant for a person: Babel, in the reader's locale and zone, without seconds.

Pure code (no Flask, no clock): the caller gives the reader's language, zone and, for relative
words, ``now``. ``closerhub.i18n`` wraps these for templates (``local_time``, ``relative_time``)
and for emails and exports rendered for someone else.

- The **locale** is the reader's language plus the country of their zone (``en`` + Los Angeles →
  ``en_US``, 12-hour clock; ``en`` + London → ``en_GB`` and ``fr`` + Paris → ``fr_FR``, 24-hour),
  or the browser's region for a visitor without a zone; Babel's data decides the rest.
- The **other party's** time is added only when their clock reads differently at that instant,
  named by city ("15:00 in São Paulo"), never by a raw IANA name.
- **Relative words** ("in 2 hours", "tomorrow") come from the real time left.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global
from babel.dates import format_skeleton, format_time, format_timedelta, get_timezone_location
from babel.languages import get_official_languages

from closerhub.core.i18n import _
from closerhub.core.tz import to_local

Style = Literal["datetime", "date", "time", "day"]

NARROW_NBSP = "\u202f"


@lru_cache(maxsize=256)
def format_locale(language: str, zone: str | None = None, region: str | None = None) -> Locale:
    """The Babel locale for a reader: ``language`` with the region given, else their zone's country.

    ``("en", "America/Los_Angeles")`` → ``en_US``; ``("en", "Europe/London")`` → ``en_GB``;
    ``("fr", "Europe/Paris")`` → ``fr_FR``. A pair Babel does not know (``en_BR``) is the language alone.
    """
    base = (language or "en").replace("-", "_").split("_")[0]
    territory = (region or "").upper() or _zone_territory(zone)
    if territory and territory != "001":
        name = f"{base}_{territory}"
        if localedata.exists(name):
            return Locale.parse(name)
    try:
        return Locale.parse(base)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


@lru_cache(maxsize=256)
def money_locale(language: str, zone: str | None = None, region: str | None = None) -> Locale:
    """The locale amounts are written in: the reader's ``format_locale`` where their language is spoken
    in that country (``en_GB``, ``fr_FR``, ``fr_CA``), else the language's own (English in Paris writes
    ``€720.00``, not CLDR's ``720,00 €`` for ``en_FR``)."""
    base = (language or "en").replace("-", "_").split("_")[0]
    territory = (region or "").upper() or _zone_territory(zone)
    if territory and base in get_official_languages(territory, de_facto=True):
        return format_locale(language, zone, region)
    return format_locale(base)


def _zone_territory(zone: str | None) -> str | None:
    if not zone:
        return None
    territories = get_global("zone_territories")
    return territories.get(zone)


def city_name(zone: str, locale: Locale) -> str:
    """``America/Sao_Paulo`` → ``São Paulo`` in the reader's language (``UTC`` stays ``UTC``)."""
    if zone in ("UTC", "Etc/UTC"):
        return "UTC"
    return str(get_timezone_location(zone, locale=locale, return_city=True))


def instant_text(
    instant: datetime,
    zone: str,
    locale: Locale,
    style: Style = "datetime",
    other_zone: str | None = None,
) -> str:
    """``instant`` as the reader reads it in ``zone``: ``Fri, Dec 4, 2026, 9:00 AM`` (en_US),
    ``ven. 4 déc. 2026, 09:00`` (fr_FR). ``style``: ``datetime``, ``date``, ``day`` (date without
    the year) or ``time``. With ``other_zone`` whose clock differs then, its time follows by city.
    """
    local = to_local(instant, zone).replace(tzinfo=None)
    if style == "time":
        text = format_time(local, "short", locale=locale)
    elif style == "date":
        text = format_skeleton("yMMMEd", local, locale=locale)
    elif style == "day":
        text = format_skeleton("MMMEd", local, locale=locale)
    else:
        pattern = str(locale.datetime_formats["medium"])
        date_part = format_skeleton("yMMMEd", local, locale=locale)
        text = pattern.replace("{1}", date_part).replace("{0}", format_time(local, "short", locale=locale))
    other = other_time_text(instant, other_zone, zone, locale) if other_zone and style != "date" else ""
    if other:
        text = f"{text} ({other})"
    return text


def other_time_text(instant: datetime, other_zone: str, zone: str, locale: Locale) -> str:
    """``15:00 in São Paulo`` (with the day when it differs from the reader's); empty when both clocks agree."""
    theirs, mine = to_local(instant, other_zone), to_local(instant, zone)
    if theirs.utcoffset() == mine.utcoffset():
        return ""
    style: Style = "time" if theirs.date() == mine.date() else "day"
    when = format_time(theirs.replace(tzinfo=None), "short", locale=locale)
    if style == "day":
        when = f"{format_skeleton('MMMEd', theirs.replace(tzinfo=None), locale=locale)}, {when}"
    return _("%(time)s in %(place)s", time=when, place=city_name(other_zone, locale))


def relative_text(instant: datetime, now: datetime, zone: str, locale: Locale) -> str:
    """``in 2 hours``, ``tomorrow``, ``3 days ago``: from the real time left, in the reader's words."""
    delta = instant - now
    if abs(delta) < timedelta(minutes=1):
        return _("now")
    if abs(delta) < timedelta(hours=12):
        return str(format_timedelta(delta, granularity="minute", add_direction=True, locale=locale))
    days = (to_local(instant, zone).date() - to_local(now, zone).date()).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    return str(format_timedelta(timedelta(days=days), granularity="day", add_direction=True, locale=locale))


def date_text(day: date, locale: Locale) -> str:
    """A calendar date with its weekday and year (``Fri, Dec 4, 2026``; ``ven. 4 déc. 2026``)."""
    return str(format_skeleton("yMMMEd", day, locale=locale))
