"""Language and time zone per request: the user's settings, else the browser's language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect

from closerhub.core import i18n as core_i18n
from closerhub.core.tz import to_local, utc_offset_label
from closerhub.extensions import babel


def select_locale() -> str | None:
    """The user's language (logged in, or an API token's owner), else the one chosen on the site, else the browser's."""
    if not has_request_context():
        return None  # the worker, the CLI: the default (English) unless a caller forces a locale
    if current_user and current_user.is_authenticated:
        return current_user.language
    if request.blueprint == "api":
        from closerhub.api.auth import token_owner_for_locale  # here: the API loads after the i18n set-up

        api_user = token_owner_for_locale()  # the token's owner, like a logged-in user
        if api_user is not None:
            return api_user.language
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


def local_time(instant: datetime | None, zone: str | None = None, fmt: str = "medium") -> str:
    """Format an instant in a zone and say which zone it is (every page states the zone)."""
    if instant is None:
        return ""
    zone = zone or select_timezone() or "UTC"
    local = to_local(instant, zone)
    label = utc_offset_label(instant, zone)
    return f"{format_datetime(local.replace(tzinfo=None), fmt, rebase=False)} ({zone}, {label})"


def _translate(text: str) -> str:
    return get_translations().ugettext(text)


def _translate_plural(singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


def init_app(app: Flask) -> None:
    core_i18n.install(_translate, _translate_plural, current_locale)  # core/ and services speak the reader's language
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/../translations"),
    )
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["format_date"] = format_date  # a calendar date (a due date), in the reader's language
    app.jinja_env.globals["get_locale"] = get_locale
