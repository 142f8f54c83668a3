"""How the OpenAPI document states what the services enforce beyond the pydantic types.

The request models keep generous shape bounds so a value reaches the service that gives its
precise, translated per-field message; the document, though, must state the precise rules
(the schemathesis run in the tests holds it to that). These helpers put them there: the
services' own lengths and character rules, and the long lists a field must be one of
(time zones, currencies, languages, industries), stated once each as a shared enum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import WithJsonSchema

from closerhub.core.money import known_currencies
from closerhub.core.tz import all_zones

VOCABULARY_KEY = "x-vocabulary"


def vocabulary(name: str) -> WithJsonSchema:
    """Document a string as one of a named list the app accepts: ``components.schemas[name]``.

    The lists (every IANA zone, ISO 4217 currency, ISO 639-1 language) are long, so the
    document states each once, as an enum that ``openapi.build_document`` adds and points
    this marker to (pydantic would try to resolve a ``$ref`` among its own definitions).
    """
    return WithJsonSchema({"type": "string", VOCABULARY_KEY: name})


#: Text as ``core.text.clean_text`` accepts it: no control characters but tabs and line ends.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: A name as ``accounts.service.clean_name`` accepts it: a visible character, no control characters.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f-\x9f\s][^\x00-\x1f\x7f]*$"

#: Required text (several lines allowed): ``TEXT_PATTERN`` with a visible character (the service trims the rest).
REQUIRED_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\x00-\x20\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def documented_text(max_length: int, pattern: str = TEXT_PATTERN, **schema: Any) -> WithJsonSchema:
    """Document the limits the service enforces on a text field (its own per-field messages).

    The pydantic type keeps a generous bound so an over-long value reaches the service,
    which answers with the precise limit; the document states that precise limit.
    """
    return WithJsonSchema({"type": "string", "maxLength": max_length, "pattern": pattern, **schema})


def _any_case(word: str) -> str:
    """A regex matching ``word`` in any case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c}{c.upper()}]" for c in word)


#: An email address as ``email_validator`` takes it: not under a special-use domain (RFC 6761).
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
EMAIL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "email",
    "maxLength": 254,
    "pattern": r"^(?!.*\.(?:" + "|".join(_any_case(d) for d in SPECIAL_USE_DOMAINS) + r")\.?$)",
    "description": "An address under a public domain (not .test, .local, .invalid, …)",
}


#: What the app answers for any JSON or query text with a NUL character (a database cannot store it).
NO_NUL_TEXT = "Text never contains NUL (`\\u0000`): such a request is a 422 `nul_character`."


#: The features' named lists (``Industry``, ``LanguageCode``, ``BankCountry``…): name -> a
#: function giving its schema. The app factory adds them (``register_vocabularies``); the API
#: package itself names no feature.
_FEATURE_VOCABULARIES: dict[str, Callable[[], dict[str, Any]]] = {}


def register_vocabularies(named: dict[str, Callable[[], dict[str, Any]]]) -> None:
    """Add a feature's named lists to the document (the app factory calls this; idempotent)."""
    _FEATURE_VOCABULARIES.update(named)


def vocabularies() -> dict[str, dict[str, Any]]:
    """The named lists fields refer to (``vocabulary``): exactly what the app accepts."""
    return {
        "TimeZoneName": {
            "type": "string",
            "description": "IANA time zone name",
            "enum": sorted(all_zones()),
        },
        "CurrencyCode": {
            "type": "string",
            "description": "ISO 4217 currency code (case-insensitive: `eur` is EUR)",
            "enum": sorted(known_currencies()),
        },
        **{name: schema() for name, schema in sorted(_FEATURE_VOCABULARIES.items())},
    }


def link_vocabularies(node: Any, ref_template: str) -> Any:
    """Replace each ``vocabulary`` marker by a reference to its list."""
    if isinstance(node, dict):
        if VOCABULARY_KEY in node:
            rest = {k: v for k, v in node.items() if k not in (VOCABULARY_KEY, "type")}
            return {"$ref": ref_template.format(model=node[VOCABULARY_KEY]), **rest}
        return {k: link_vocabularies(v, ref_template) for k, v in node.items()}
    if isinstance(node, list):
        return [link_vocabularies(v, ref_template) for v in node]
    return node
