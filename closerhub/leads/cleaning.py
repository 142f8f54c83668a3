"""A lead's fields as the forms, the CSV import and the API give them: cleaned, checked, limited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers

from closerhub.accounts.service import SUPPORTED_LANGUAGES, clean_name, normalize_email
from closerhub.businesses.service import clean_text, collect
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.tz import is_valid_zone

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX_INPUT = 40
CONTEXT_TEXT_MAX = 5000  # needs, motivations, blockers, decision_makers, notes
BUDGET_MAX = 200
SOURCE_MAX = 120
SEARCH_MAX = 100
PER_PAGE_MAX = 200

# The context the closer reads before the call; the API nests these under "context".
CONTEXT_FIELDS: tuple[str, ...] = ("needs", "motivations", "blockers", "budget", "decision_makers", "notes")
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
# Every column ``clean_lead_data`` may return (the input says "phone", the row "phone_e164").
LEAD_FIELDS: tuple[str, ...] = ("name", "email", "phone_e164", "timezone", "language", *CONTEXT_FIELDS, "source")
_PHONE_FORMAT = N_(
    "Enter the number in international format, starting with + and the country code (e.g. +33 6 12 34 56 78)."
)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


# --- field cleaners ---------------------------------------------------------------------


def clean_lead_email(raw: object) -> str:
    """A syntactically valid address, lower-cased (the lead's key within its business)."""
    email = normalize_email(raw, "email")
    if len(email) > EMAIL_MAX:
        raise _fail("email", _("At most %(limit)d characters.", limit=EMAIL_MAX))
    return email


def clean_lead_phone(raw: object) -> str | None:
    """An international number as E.164, or None when blank.

    The lead's country is unknown (their zone says little: a Paris zone does not make a
    +44 number), so the number must carry its country code, i.e. start with ``+``.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or len(raw) > PHONE_MAX_INPUT or not raw.strip().startswith("+"):
        raise _fail("phone", _(_PHONE_FORMAT))
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException:
        raise _fail("phone", _(_PHONE_FORMAT)) from None
    if not phonenumbers.is_valid_number(number):
        raise _fail("phone", _("This is not a valid phone number; check the country code and the digits."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_lead_timezone(raw: object) -> str:
    """An IANA zone name (the lead's own zone: slots and emails are shown in it)."""
    zone = raw.strip() if isinstance(raw, str) else raw
    if zone is None or zone == "":
        raise _fail("timezone", _("Choose the lead's time zone."))
    if not is_valid_zone(zone):
        raise _fail("timezone", _("Unknown time zone; use an IANA name such as Europe/Paris."))
    return str(zone)


def clean_lead_language(raw: object) -> str:
    """The language of the emails the lead gets: en or fr (blank means en)."""
    if raw is None or raw == "":
        return "en"
    code = raw.strip().lower() if isinstance(raw, str) else raw
    if code not in SUPPORTED_LANGUAGES:
        raise _fail("language", _("Choose en (English) or fr (French)."))
    return str(code)


def _flatten(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge the API's nested ``context`` into the flat shape the forms use."""
    data = dict(raw)
    errors: dict[str, str] = {}
    context = data.pop("context", None)
    if context is not None:
        if not isinstance(context, Mapping):
            errors["context"] = _("Give the context as an object with needs, motivations, blockers, budget, ...")
        else:
            for key, value in context.items():
                if key in CONTEXT_FIELDS:
                    data[key] = value
                else:
                    errors[f"context.{key}"] = _(
                        "Unknown context field; use %(fields)s.", fields=", ".join(CONTEXT_FIELDS)
                    )
    if "phone" not in data and "phone_e164" in data:
        data["phone"] = data["phone_e164"]
    return data, errors


def clean_lead_data(raw: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate a lead's fields and return them keyed by ``Lead`` column.

    Accepts the flat form shape and the API shape (context fields nested under
    ``"context"``). With ``partial`` only the keys present are checked and returned
    (PATCH); otherwise name, email and timezone are required and the rest default to
    blank (language: en). Raises one ValidationError naming every bad field.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(_("Give the lead as an object."), field_errors={"lead": _("Expected an object.")})
    data, shape_errors = _flatten(raw)

    def wanted(key: str) -> bool:
        return not partial or key in data

    checks: list[tuple[str, Callable[[], object]]] = []
    if wanted("name"):
        checks.append(("name", lambda: clean_name(data.get("name"), "name", NAME_MAX)))
    if wanted("email"):
        checks.append(("email", lambda: clean_lead_email(data.get("email"))))
    if wanted("phone"):
        checks.append(("phone_e164", lambda: clean_lead_phone(data.get("phone"))))
    if wanted("timezone"):
        checks.append(("timezone", lambda: clean_lead_timezone(data.get("timezone"))))
    if wanted("language"):
        checks.append(("language", lambda: clean_lead_language(data.get("language"))))
    for key, limit in _TEXT_LIMITS.items():
        if wanted(key):
            checks.append(
                (key, lambda k=key, n=limit: clean_text(data.get(k), k, n, multiline=k in _MULTILINE))  # type: ignore[misc]
            )
    try:
        values = collect(checks)
    except ValidationError as exc:
        exc.field_errors.update(shape_errors)
        raise
    if shape_errors:
        raise ValidationError(next(iter(shape_errors.values())), field_errors=shape_errors)
    return values
