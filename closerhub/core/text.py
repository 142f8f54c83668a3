"""Cleaning free text from forms and the API (pure): one rule for every feature's text fields."""

from __future__ import annotations

import re

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

#: Control characters refused in text (NUL breaks PostgreSQL); tab, newline and carriage return are allowed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def clean_text(raw: object, field: str, max_len: int, *, multiline: bool = False, required: bool = False) -> str:
    """Trimmed text without control characters, at most ``max_len`` characters, or a ValidationError on ``field``.

    One line (``multiline=False``): runs of whitespace become one space. Several lines: line
    ends become ``\\n`` (so the length counts what is stored) and the ends are trimmed.
    ``None`` is empty text, which ``required`` refuses.
    """
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise _fail(field, _("Expected text."))
    value = raw.replace("\r\n", "\n").strip() if multiline else " ".join(raw.split())
    if CONTROL_CHARACTERS.search(value):
        raise _fail(field, _("Remove the control characters."))
    if required and not value:
        raise _fail(field, _("This field is required."))
    if len(value) > max_len:
        raise _fail(field, _("At most %(limit)d characters.", limit=max_len))
    return value
