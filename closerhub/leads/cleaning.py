"""A lead's fields as the forms, the CSV import and the API give them: cleaned, checked, limited."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import phonenumbers

from closerhub.accounts.service import SUPPORTED_LANGUAGES, clean_name, normalize_email
from closerhub.businesses.service import clean_text, collect
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.tz import is_valid_zone
from closerhub.leads.commands import CONTEXT_FIELDS, LeadDetails

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX_INPUT = 40
CONTEXT_TEXT_MAX = 5000  # needs, motivations, blockers, decision_makers, notes
BUDGET_MAX = 200
SOURCE_MAX = 120
SEARCH_MAX = 100
PER_PAGE_MAX = 200

_TEXT_LIMITS: dict[str, int] = {
    "needs": CONTEXT_TEXT_MAX,
    "motivations": CONTEXT_TEXT_MAX,
    "blockers": CONTEXT_TEXT_MAX,
    "budget": BUDGET_MAX,
    "decision_makers": CONTEXT_TEXT_MAX,
    "notes": CONTEXT_TEXT_MAX,
    "source": SOURCE_MAX,
}
_MULTILINE = frozenset({"needs", "motivations", "blockers", "decision_makers", "notes"})
# Every column ``clean_lead_details`` may return (the input says "phone", the row "phone_e164").
LEAD_FIELDS: tuple[str, ...] = ("name", "email", "phone_e164", "timezone", "language", *CONTEXT_FIELDS, "source")
_PHONE_FORMAT = N_(
    "Enter the number in international format, starting with + and the country code (e.g. +33 6 12 34 56 78)."
)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


# --- field cleaners ---------------------------------------------------------------------


def clean_lead_email(raw: str) -> str:
    """A syntactically valid address, lower-cased (the lead's key within its business)."""
    email = normalize_email(raw, "email")
    if len(email) > EMAIL_MAX:
        raise _fail("email", _("At most %(limit)d characters.", limit=EMAIL_MAX))
    return email


def clean_lead_phone(raw: str | None) -> str | None:
    """An international number as E.164, or None when blank.

    The lead's country is unknown (their zone says little: a Paris zone does not make a
    +44 number), so the number must carry its country code, i.e. start with ``+``.
    """
    if raw is None or not raw.strip():
        return None
    if len(raw) > PHONE_MAX_INPUT or not raw.strip().startswith("+"):
        raise _fail("phone", _(_PHONE_FORMAT))
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException:
        raise _fail("phone", _(_PHONE_FORMAT)) from None
    if not phonenumbers.is_valid_number(number):
        raise _fail("phone", _("This is not a valid phone number; check the country code and the digits."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_lead_timezone(raw: str) -> str:
    """An IANA zone name (the lead's own zone: slots and emails are shown in it)."""
    zone = raw.strip()
    if zone == "":
        raise _fail("timezone", _("Choose the lead's time zone."))
    if not is_valid_zone(zone):
        raise _fail("timezone", _("Unknown time zone; use an IANA name such as Europe/Paris."))
    return zone


def clean_lead_language(raw: str | None) -> str:
    """The language of the emails the lead gets: en or fr (blank means en)."""
    if raw is None or raw == "":
        return "en"
    code = raw.strip().lower()
    if code not in SUPPORTED_LANGUAGES:
        raise _fail("language", _("Choose en (English) or fr (French)."))
    return code


def _text_of(details: LeadDetails, key: str) -> str | None:
    value: str | None = getattr(details, key)
    return value


def clean_lead_details(details: LeadDetails) -> dict[str, str | None]:
    """Validate a lead's details and return them keyed by ``Lead`` column (``phone`` → ``phone_e164``).

    Every field is checked, or with ``details.given`` (PATCH) only those sent; the identity
    (name, email, timezone) is required, the rest defaults to blank (language: en). Raises one
    ValidationError naming every bad field by its ``LeadDetails`` name.
    """
    checks: list[tuple[str, Callable[[], object]]] = []
    if details.wants("name"):
        checks.append(("name", lambda: clean_name(details.name, "name", NAME_MAX)))
    if details.wants("email"):
        checks.append(("email", lambda: clean_lead_email(details.email)))
    if details.wants("phone"):
        checks.append(("phone_e164", lambda: clean_lead_phone(details.phone)))
    if details.wants("timezone"):
        checks.append(("timezone", lambda: clean_lead_timezone(details.timezone)))
    if details.wants("language"):
        checks.append(("language", lambda: clean_lead_language(details.language)))
    for key, limit in _TEXT_LIMITS.items():
        if details.wants(key):
            checks.append(
                (
                    key,
                    lambda k=key, n=limit: clean_text(_text_of(details, k), k, n, multiline=k in _MULTILINE),  # type: ignore[misc]
                )
            )
    return cast(dict[str, str | None], collect(checks))
