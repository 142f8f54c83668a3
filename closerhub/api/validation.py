"""Parse request bodies and query strings into pydantic models, or answer 422.

Every way a body can be wrong (no body, not JSON, malformed JSON, a list instead of an
object, wrong types, missing or unknown fields) becomes ``core.errors.ValidationError``
with ``field_errors`` keyed by dotted path, which the error handlers render as a 422
problem document. Nothing here can produce a 500.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _, ngettext

M = TypeVar("M", bound=BaseModel)

BODY = "body"  # the ``field`` of errors about the body as a whole

# Friendlier wording for the most common pydantic error types (marked only: translated where used).
_MESSAGES = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("Unknown field."),
    "model_type": N_("Expected a JSON object."),
    "model_attributes_type": N_("Expected a JSON object."),
    "int_type": N_("Expected an integer."),
    "int_from_float": N_("Expected an integer."),
    "string_type": N_("Expected a string."),
    "bool_type": N_("Expected true or false."),
    "list_type": N_("Expected a list."),
    "timezone_aware": N_("Give the time with its UTC offset, e.g. 2026-12-01T09:00:00+01:00."),
    # pydantic's own wording, kept in English, so that other languages get a translation of it
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "dict_type": N_("Input should be a valid dictionary"),
    "date_type": N_("Input should be a valid date"),
    "datetime_type": N_("Input should be a valid datetime"),
}
# pydantic's wording of a bound (``ctx`` holds the bound under the same name as the placeholder).
_BOUNDS = {
    "greater_than": N_("Input should be greater than %(gt)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than": N_("Input should be less than %(lt)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "literal_error": N_("Input should be %(expected)s"),
    "enum": N_("Input should be %(expected)s"),
}


def _message(err: Any) -> str:
    """The message for one pydantic error, in the reader's language where we know the type."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "json_invalid":
        return _("Malformed JSON: %(error)s.", error=ctx.get("error", "cannot parse"))
    if kind in _MESSAGES:
        return _(_MESSAGES[kind])
    if kind in _BOUNDS and all(f"%({name})s" in _BOUNDS[kind] for name in ctx):
        return _(_BOUNDS[kind], **{name: str(value) for name, value in ctx.items()})
    if kind == "string_too_short" and isinstance(ctx.get("min_length"), int):
        return ngettext(
            "String should have at least %(num)d character",
            "String should have at least %(num)d characters",
            ctx["min_length"],
        )
    if kind == "string_too_long" and isinstance(ctx.get("max_length"), int):
        return ngettext(
            "String should have at most %(num)d character",
            "String should have at most %(num)d characters",
            ctx["max_length"],
        )
    return str(err["msg"]).removeprefix("Value error, ")


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("lead", "context", "budget")`` → ``"lead.context.budget"``; the root is ``"body"``."""
    return ".".join(str(part) for part in loc) or BODY


def errors_from_pydantic(exc: PydanticValidationError, *, root: str = BODY) -> dict[str, str]:
    """One message per field (the first), keyed by dotted path."""
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        path = field_path(tuple(err["loc"])) if err["loc"] else root
        errors.setdefault(path, _message(err))
    return errors


def _is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def parse_json(model: type[M]) -> M:
    """The request body validated as ``model``; ValidationError (422) otherwise."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ValidationError(
            _("Send a JSON object as the request body."), field_errors={BODY: _("A JSON body is required.")}
        )
    if not _is_json_mimetype(request.mimetype):
        raise ValidationError(
            _("Send the body as JSON with Content-Type: application/json."),
            field_errors={BODY: _("Content-Type must be application/json.")},
        )
    try:
        # From bytes rather than request.get_json(): pydantic reports malformed JSON as an
        # ordinary validation error, and strict mode reads ISO datetimes from JSON text.
        return model.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise ValidationError(
            _("Please correct the highlighted fields."), field_errors=errors_from_pydantic(exc)
        ) from None


def _is_sequence_field(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    if field is None:
        return False
    annotation = field.annotation
    # ``list[str] | None`` is a union: look inside it for the sequence type.
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    candidates = typing.get_args(annotation) if is_union else (annotation,)
    return any(typing.get_origin(c) in (list, tuple, set, frozenset) for c in candidates)


def parse_query(model: type[M]) -> M:
    """The query string validated as ``model`` (``?a=1&a=2`` feeds list fields); 422 otherwise."""
    data: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        data[name] = values if _is_sequence_field(model, name) else values[-1]
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(
            _("Please correct the query parameters."), field_errors=errors_from_pydantic(exc, root="query")
        ) from None
