"""Profile fields: the vocabularies (ISO 639-1 languages, industries) and one cleaner per field.

Each cleaner takes a field of the command (``commands.ProfileData``, built by the form or
the API schema) and returns the stored value, or raises a
``ValidationError`` naming its field; ``service.update_profile`` runs them all and
reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.core import get_global

from closerhub.closers.commands import LanguageSkill
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS, LanguageLevel, MeetingMode
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, reading_language
from closerhub.core.text import clean_text

HEADLINE_MAX = 140
BIO_MAX = 5000
URL_MAX = 500
YEARS_MAX = 80
LANGUAGES_MAX = 10


# --- vocabularies ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def iso_639_1_codes() -> frozenset[str]:
    """Every two-letter ISO 639-1 code, from the CLDR data Babel ships (``zz`` is not one)."""
    return frozenset(
        code for code in map(str, Locale("en").languages) if len(code) == 2 and code.isalpha() and code.islower()
    )


def language_name(code: str, locale: str = "en") -> str:
    """``"fr"`` → ``"French"`` (or ``"français"`` for a French reader); the code if unknown."""
    try:
        names = Locale.parse(locale).languages
    except (UnknownLocaleError, ValueError, TypeError):
        names = Locale("en").languages
    return names.get(code) or code


def language_choices(locale: str = "en") -> list[tuple[str, str]]:
    """``[(code, name)]`` of every ISO 639-1 language, sorted by name in ``locale``."""
    return sorted(((c, language_name(c, locale)) for c in iso_639_1_codes()), key=lambda cn: cn[1].casefold())


def region_for_zone(zone: str | None) -> str | None:
    """The ISO 3166 country of an IANA zone (``Europe/Paris`` → ``FR``), used as a phone-number hint."""
    territory = get_global("zone_territories").get(zone or "")
    return territory if territory and territory != "001" else None


# --- field cleaners (each raises ValidationError naming its field) ---------------------


def _fail(field_name: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field_name: message})


def clean_languages(skills: Sequence[LanguageSkill]) -> list[tuple[str, LanguageLevel]]:
    """Codes with their levels (a blank level is fluent); each code once, at most ``LANGUAGES_MAX``."""
    out: dict[str, LanguageLevel] = {}
    for skill in skills:
        code, level = skill.code.strip().lower(), skill.level or LanguageLevel.FLUENT.value
        if code not in iso_639_1_codes():
            raise _fail(
                "languages",
                _("Unknown language code %(code)s; use ISO 639-1 codes such as en, fr, es.", code=repr(code)),
            )
        if level not in {lv.value for lv in LanguageLevel}:
            raise _fail("languages", _("Level of %(code)s must be native, fluent or working.", code=repr(code)))
        if code in out:
            name = language_name(code, reading_language())  # "anglais" for a French reader
            raise _fail("languages", _("%(language)s is listed twice.", language=name))
        out[code] = LanguageLevel(level)
    if len(out) > LANGUAGES_MAX:
        raise _fail("languages", _("List at most %(limit)d languages.", limit=LANGUAGES_MAX))
    return list(out.items())


def clean_industries(slugs: Sequence[str]) -> list[str]:
    """Slugs from ``taxonomy.INDUSTRIES``; duplicates are folded."""
    out: list[str] = []
    for item in slugs:
        if item not in INDUSTRIES:
            raise _fail(
                "industries",
                _(
                    "Unknown industry %(industry)s; choose from: %(choices)s.",
                    industry=repr(item),
                    choices=", ".join(INDUSTRIES),
                ),
            )
        if item not in out:
            out.append(item)
    return out


def clean_rate(bps: int | None) -> int:
    """A minimum commission in basis points, 1000–2000 (10–20 %); None (unreadable) is out of range."""
    if bps is None or not RATE_MIN_BPS <= bps <= RATE_MAX_BPS:
        raise _fail("min_rate_bps", _("The minimum commission must be between 10 % and 20 % (1000–2000 bps)."))
    return bps


def clean_years(years: int) -> int:
    if not 0 <= years <= YEARS_MAX:
        raise _fail(
            "years_experience", _("Years of experience must be a whole number from 0 to %(max)d.", max=YEARS_MAX)
        )
    return years


def clean_phone(raw: str | None, zone: str | None) -> str | None:
    """A valid phone number as E.164 (``+33612345678``); national formats use the zone's country."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > 40:
        raise _fail("phone", _("Enter a phone number such as +33 6 12 34 56 78."))
    try:
        number = phonenumbers.parse(raw, region_for_zone(zone))
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise _fail("phone", _("This is not a valid phone number; include the country code, e.g. +33 6 12 34 56 78."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_photo_url(raw: str | None) -> str | None:
    """The closer's photo: an https image address, or nothing."""
    link = clean_text(raw, "photo_url", URL_MAX) or None
    if link is not None:
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.hostname or any(c in link for c in " \"'<>\\"):
            raise _fail("photo_url", _("The photo must be an https:// image address."))
    return link


def clean_meeting(mode: str, url: str | None) -> tuple[MeetingMode, str | None]:
    """How the closer meets: a generated room per appointment, or their own https link (then required)."""
    try:
        meeting_mode = MeetingMode(mode or MeetingMode.GENERATED_ROOM.value)
    except ValueError:
        raise _fail("meeting_mode", _("Choose generated_room or own_url.")) from None
    link = clean_text(url, "meeting_url", URL_MAX) or None
    if link is not None:
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.hostname or " " in link:
            raise _fail("meeting_url", _("The meeting link must be an https:// address."))
    if meeting_mode == MeetingMode.OWN_URL and link is None:
        raise _fail("meeting_url", _("Give your meeting link, or let CloserHub generate a room per call."))
    return meeting_mode, link
