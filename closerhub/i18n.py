"""Language and time zone per request: the user's settings, else the browser's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, get_locale, get_translations
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect

from closerhub.core import i18n as core_i18n
from closerhub.core.tz import is_valid_zone
from closerhub.core.when import city_name, date_text, format_locale, instant_text, money_locale, relative_text
from closerhub.core.zone_labels import zone_choices, zone_label
from closerhub.extensions import babel
from closerhub.labels import label

LANG_ARG = "lang"
PROSPECT_BLUEPRINT = "booking_public"


def url_language() -> str | None:
    """``?lang=fr`` on a prospect page (``booking_public``): the language the prospect picked, carried by
    the pages' links and forms because an embed on another site gets no session cookie."""
    if request.blueprint != PROSPECT_BLUEPRINT:
        return None
    lang = request.args.get(LANG_ARG)
    return lang if lang in current_app.config["LANGUAGES"] else None


_API_OWNER = "closerhub.i18n.api_token_owner"


def select_locale() -> str | None:
    """The user's language (logged in, or an API token's owner), else the one chosen on the site, else the browser's.
    On a prospect page, the language picked there (``?lang=``) comes first."""
    if not has_request_context():
        return None  # the worker, the CLI: the default (English) unless a caller forces a locale
    picked = url_language()
    if picked:
        return picked
    if current_user and current_user.is_authenticated:
        return current_user.language
    if request.blueprint == "api":
        api_user = current_app.extensions[_API_OWNER]()  # the token's owner, like a logged-in user
        if api_user is not None:
            return str(api_user.language)
    return chosen_or_browser_language()


def chosen_or_browser_language() -> str:
    """A visitor's language: the one chosen on the site (the language switch), else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if session.get("lang") in languages:
        return str(session["lang"])
    return request.accept_languages.best_match(languages) or "en"


def language_without_queries() -> str:
    """``select_locale`` for an answer that must not query the database (it is what failed): an API
    caller's language (noted at authentication), a user already loaded, else a visitor's."""
    languages = current_app.config["LANGUAGES"]
    known = g.get("api_language")
    if known in languages:
        return str(known)
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    loaded = state.dict.get("language") if state is not None else None  # never loads an expired row
    if loaded in languages:
        return str(loaded)
    return chosen_or_browser_language()


def select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def current_locale() -> str:
    """The request's locale as a string ("en", "fr") for Babel's formatters."""
    return str(get_locale() or "en")


_email_reader_zone: ContextVar[str | None] = ContextVar("email_reader_zone", default=None)


@contextmanager
def reading_in_zone(zone: str | None) -> Iterator[None]:
    """Format times for a reader who is not the request's user (an email's recipient) in ``zone``."""
    token = _email_reader_zone.set(zone)
    try:
        yield
    finally:
        _email_reader_zone.reset(token)


def reader_zone() -> str | None:
    """The zone of whoever reads what is being rendered: an email's recipient, else the user."""
    zone = _email_reader_zone.get()
    if zone:
        return zone
    return select_timezone() if has_request_context() else None


def _browser_region(language: str) -> str | None:
    """A visitor's region from ``Accept-Language`` (``en-GB`` → ``GB``) for their language."""
    if not has_request_context():
        return None
    for tag, _quality in request.accept_languages:
        parts = tag.replace("_", "-").split("-")
        if parts[0].lower() == language and len(parts) > 1 and len(parts[-1]) == 2:
            return parts[-1].upper()
    return None


def reader_locale(zone: str | None = None) -> Locale:
    """The Babel locale times and money are written in: the reader's conventions, whatever zone is shown.

    The reader's language plus their own zone's country (``en`` in Los Angeles → ``en_US``, in London
    → ``en_GB``), else their browser's region (``en-GB``). ``zone``, the zone a time is shown in, only
    stands in for a visitor who gives neither (on the booking page it is the one they chose): a British
    reader sees New York's time converted, written the British way, not in New York's 12-hour style.
    """
    language = current_locale().split("_")[0]
    own = reader_zone()
    region = None if own else _browser_region(language)
    return format_locale(language, own or (None if region else zone), region)


def reader_money_locale() -> Locale:
    """The locale amounts and rates are written in for the reader (``core.when.money_locale``)."""
    language = current_locale().split("_")[0]
    zone = reader_zone()
    return money_locale(language, zone, None if zone else _browser_region(language))


def local_time(instant: datetime | None, zone: str | None = None, fmt: str = "medium", other: str | None = None) -> str:
    """An instant as the reader reads it, without seconds: in ``zone`` (default: the reader's) and
    the reader's locale; ``other`` (the other party's zone) is added, by city, only where it differs.

    ``fmt``: ``medium``/``short`` (date and time), ``date``, ``day`` (no year) or ``time``.
    """
    if instant is None:
        return ""
    zone = zone or reader_zone() or "UTC"
    style = {"medium": "datetime", "short": "datetime"}.get(fmt, fmt)
    return instant_text(instant, zone, reader_locale(zone), style, other)  # type: ignore[arg-type]


def relative_time(instant: datetime | None, now: datetime, zone: str | None = None) -> str:
    """``in 2 hours``, ``tomorrow``, ``3 days ago`` from ``now`` (the entry point's clock)."""
    if instant is None:
        return ""
    zone = zone or reader_zone() or "UTC"
    return relative_text(instant, now, zone, reader_locale(zone))


def local_date(day: date | None) -> str:
    """A calendar date in the reader's locale (``Fri, Dec 4, 2026``)."""
    return date_text(day, reader_locale()) if day is not None else ""


def zone_options(now: datetime, *current: str | None) -> list[tuple[str, str]]:
    """A time-zone picker's (IANA value, label) pairs in the reader's language, offsets as of ``now``
    (``core.zone_labels``; built once per language and day). ``current``: values the form holds, listed
    even when they are aliases outside the canonical list."""
    extra = [z for z in current if z and is_valid_zone(z)]
    return zone_choices(current_locale(), now, extra or None)


def zone_option(zone: str, now: datetime) -> tuple[str, str]:
    """One picker option, ``(zone, "(UTC+01:00) Paris, France")``, without building the whole list."""
    return zone, zone_label(zone, format_locale(current_locale().split("_")[0]), now)


def zone_city(zone: str | None) -> str:
    """A zone as people name it (``São Paulo``), in the reader's language."""
    return city_name(zone, reader_locale()) if zone else ""


def _translate(text: str) -> str:
    return get_translations().ugettext(text)


def _translate_plural(singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


def init_app(app: Flask, api_token_owner: Callable[[], Any]) -> None:
    """Set the language and zone selectors; ``api_token_owner`` finds an API request's token owner
    (given by the app factory: the API sits above this module in the package order)."""
    app.extensions[_API_OWNER] = api_token_owner
    core_i18n.install(_translate, _translate_plural, current_locale)  # core/ and services speak the reader's language
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/../translations"),
    )
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["relative_time"] = relative_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["zone_city"] = zone_city
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["format_date"] = format_date  # a calendar date (a due date), in the reader's language
    app.jinja_env.globals["get_locale"] = get_locale
