"""Cursor pagination for list endpoints: ``{"data": [...], "next_cursor": null | "..."}``.

Keyset pagination on a unique, ordered column (the primary key): each page is one
indexed range query, stable while rows are added, unlike ``OFFSET``. The cursor is the
last key of the page, signed with the app's secret so a client cannot forge or edit
it (a tampered cursor is a 422) and cannot replay it on another list endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from closerhub.api.schemas import PageQuery
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

T = TypeVar("T")


def _bad_cursor() -> ValidationError:
    """The 422 for a forged, edited or foreign cursor (built per request: its text is in the reader's language)."""
    return ValidationError(
        _("This cursor is not valid; start again without ?cursor=."),
        field_errors={"cursor": _("Invalid cursor.")},
        code="invalid_cursor",
    )


def _serializer() -> URLSafeSerializer:
    # The endpoint is part of the salt: a cursor from /tokens means nothing to /offers.
    scope = request.endpoint if has_request_context() else None
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"closerhub.api.cursor:{scope}")


def encode_cursor(last_key: int, descending: bool = False) -> str:
    """An opaque, signed cursor pointing after ``last_key``."""
    return str(_serializer().dumps({"k": last_key, "d": int(descending)}))


def decode_cursor(cursor: str, descending: bool = False) -> int:
    """The key a cursor points after; ValidationError (422) if forged, edited or foreign."""
    try:
        payload = _serializer().loads(cursor)
    except BadSignature:
        raise _bad_cursor() from None
    key = payload.get("k") if isinstance(payload, dict) else None
    if not isinstance(key, int) or isinstance(key, bool) or payload.get("d") != int(descending):
        raise _bad_cursor()
    return key


def paginate(
    session: Session,
    stmt: Select[tuple[T]],
    key: InstrumentedAttribute[int],
    page: PageQuery,
    serialize: Callable[[T], Any],
    *,
    descending: bool = False,
) -> dict[str, Any]:
    """One page of ``stmt`` (a select of ORM rows; any ordering it has is replaced by ``key``).

    Fetches ``limit + 1`` rows to learn whether another page exists without a COUNT.
    """
    stmt = stmt.order_by(None).order_by(key.desc() if descending else key.asc())
    if page.cursor:
        after = decode_cursor(page.cursor, descending)
        stmt = stmt.where(key < after if descending else key > after)
    rows = list(session.scalars(stmt.limit(page.limit + 1)))
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = encode_cursor(getattr(rows[-1], key.key), descending) if has_more and rows else None
    return {"data": [serialize(row) for row in rows], "next_cursor": next_cursor}
