"""Messages for people, in the reader's language: the one seam every error message goes through.

``core/`` knows no Flask, yet its errors ("Enter an amount.") reach French users. So the
pure code calls ``_()`` from here, which asks an installed translator; until the app
installs Flask-Babel's (``closerhub.i18n.init_app``) the English text is returned, so
``core/`` stays importable and testable alone. Services use the same ``_()``, which is
why one rule holds everywhere:

- ``_("At most %(limit)d characters.", limit=n)`` translates the template first, then fills
  it (``%``-style named placeholders, as gettext catalogs and translators expect); with no
  parameters nothing is formatted, so a literal ``%`` needs no escaping there;
- ``N_("…")`` only marks a module-level text for extraction (it is translated where it is
  used, with ``_(CONSTANT)``): translating at import time would freeze one language;
- the text is translated when the error is raised, in the request's language (the user's
  setting, else the browser's). Outside a request (the worker, the CLI) it is English.

Extraction: ``pybabel extract -k N_`` beside the default keywords (``make translations-extract``).
"""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]
TranslatePlural = Callable[[str, str, int], str]


def _english(text: str) -> str:
    return text


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _english_language() -> str:
    return "en"


_translate: Translate = _english
_translate_plural: TranslatePlural = _english_plural
_language: Callable[[], str] = _english_language


def install(translate: Translate, translate_plural: TranslatePlural, language: Callable[[], str] | None = None) -> None:
    """Use these translators from now on (the app installs Babel's; idempotent)."""
    global _translate, _translate_plural, _language
    _translate, _translate_plural = translate, translate_plural
    if language is not None:
        _language = language


def reading_language() -> str:
    """The reader's language code ("en", "fr"), for names a library spells per language (Babel's)."""
    return _language()


def _(template: str, /, **params: object) -> str:
    """``template`` in the reader's language, with ``params`` filled into its ``%(name)s`` slots."""
    text = _translate(template)
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, /, **params: object) -> str:
    """The singular or plural form for ``num`` (available as ``%(num)d``), translated and filled."""
    return _translate_plural(singular, plural, num) % {"num": num, **params}


def N_(template: str, /) -> str:  # gettext's conventional name for "mark only"
    """Mark ``template`` for extraction without translating it (translate it with ``_()`` where used)."""
    return template
