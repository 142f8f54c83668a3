"""``api_route``: one decorator that registers, protects, validates and documents an API view.

It composes the layers in a fixed order, so no view can get them wrong:

    rate limit (429) → bearer auth (401/403) → Idempotency-Key → body/query (422) → view

and records the endpoint in ``openapi.REGISTRY``. The view receives the path variables,
plus ``body=`` (a validated model) and ``query=`` when declared, and returns a pydantic
model, a dict/list, a ``Response``, or None (204).

Usage::

    @api_route("POST", "/offers", summary="Create an offer", auth=("business",),
               body=OfferIn, response=OfferOut, status=201, idempotent=True, tags=("offers",))
    def create_offer(body: OfferIn) -> OfferOut: ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Response
from pydantic import BaseModel

from closerhub.accounts.models import Role
from closerhub.api import API_PREFIX, bp
from closerhub.api.auth import api_auth
from closerhub.api.idempotency import idempotent as idempotent_decorator
from closerhub.api.openapi import REGISTRY, Operation
from closerhub.api.problems import HTML_SAFE, json_text
from closerhub.api.validation import parse_json, parse_query
from closerhub.extensions import db, limiter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC: tuple[str, ...] | None = None
ANY_ROLE: tuple[str, ...] = tuple(r.value for r in Role)


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON response of a pydantic model or plain data, with ``<>&`` escaped."""
    text = payload.model_dump_json().translate(HTML_SAFE) if isinstance(payload, BaseModel) else json_text(payload)
    return Response(text, status=status, mimetype="application/json")


def begin_write_transaction() -> None:
    """Start the view's unit of work holding the write lock: ``BEGIN IMMEDIATE`` on SQLite.

    A SQLite transaction that has read cannot start writing once another connection has
    committed: it fails at once with "database is locked" (the busy timeout does not
    apply). Taking the lock first makes concurrent writers queue instead; the read
    transaction left by authentication is ended first. PostgreSQL: nothing to do (its
    writers wait on row locks, not on a database lock), so authentication's transaction
    simply goes on, without a COMMIT and a second connection checkout per request.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


def _to_response(rv: Any, status: int) -> Any:
    if rv is None:
        return Response(status=204)
    if isinstance(rv, Response | tuple):
        return rv
    return json_response(rv, status)


def api_route(
    method: str,
    path: str,
    *,
    summary: str,
    auth: Iterable[Role | str] | None = ANY_ROLE,
    body: type[BaseModel] | None = None,
    raw_body: Iterable[str] = (),
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | dict[str, Any] | None = None,
    status: int = 200,
    response_media_type: str = "application/json",
    idempotent: bool = False,
    idempotent_in_view: bool = False,
    rate_limit: str | None = None,
    limited_by: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    tags: Iterable[str] = (),
    errors: Iterable[int] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``method path`` (relative to /api/v1) on the API blueprint and document it.

    ``auth``: ``PUBLIC`` (None), ``ANY_ROLE`` (default) or the allowed roles.
    ``idempotent_in_view``: the view applies ``Idempotency-Key`` itself (after its own
    authentication); documented like ``idempotent``.
    ``response_media_type``: the success body's type when the view returns its own ``Response``.
    ``raw_body``: media types of a body the view reads itself (documented as text, not validated here).
    ``errors``: extra problem statuses to document (e.g. 409) beyond the derived ones.
    ``limited_by``: a ready Flask-Limiter decorator (a shared or conditional limit) applied instead
    of ``rate_limit``'s; ``rate_limit`` then only documents it.
    """
    method = method.upper()
    roles = None if auth is None else tuple(Role(r).value for r in auth)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handler(**kwargs: Any) -> Any:
            if body is not None:
                kwargs["body"] = parse_json(body)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if method not in SAFE_METHODS:
                begin_write_transaction()
            return _to_response(view(**kwargs), status)

        wrapped: Callable[..., Any] = handler
        if idempotent:
            wrapped = idempotent_decorator(wrapped)
        if roles is not None:
            wrapped = api_auth(*roles)(wrapped)
        if limited_by is not None:
            wrapped = limited_by(wrapped)
        elif rate_limit:
            wrapped = limiter.limit(rate_limit)(wrapped)
        rule = API_PREFIX + path
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        REGISTRY.append(
            Operation(
                method=method,
                rule=(bp.url_prefix or "") + rule,
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                description=inspect.getdoc(view) or "",
                tags=tuple(tags),
                roles=roles,
                body=body,
                raw_body=tuple(raw_body),
                query=query,
                response=response,
                status=status,
                response_media_type=response_media_type,
                idempotent=idempotent or idempotent_in_view,
                rate_limit=rate_limit,
                extra_errors=tuple(errors),
            )
        )
        return view

    return decorator
