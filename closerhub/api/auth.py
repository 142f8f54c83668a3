"""Bearer-token authentication for the JSON API.

The API reads only ``Authorization: Bearer <token>``; it never looks at the session
cookie, so a logged-in browser cannot be made to call it (no CSRF surface) and a
request without the header is a 401 even from a browser with a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, request
from sqlalchemy.exc import DBAPIError

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import Role, User
from closerhub.api.problems import problem_response
from closerhub.core.errors import AuthenticationFailed, PermissionDenied
from closerhub.core.i18n import _
from closerhub.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

REALM = 'Bearer realm="CloserHub API"'


def bearer_secret() -> str | None:
    """The credentials of an ``Authorization: Bearer ...`` header, or None."""
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def authenticate_request() -> User:
    """The user of the request's bearer token (also kept on ``g``); AuthenticationFailed otherwise.

    Once known, the user is reused for the rest of the request (one token lookup).
    """
    known = g.get("api_user")
    if known is not None:
        return known
    secret = bearer_secret()
    if secret is None:
        raise AuthenticationFailed(
            _("Send an API token in the header 'Authorization: Bearer <token>'."), code="unauthenticated"
        )
    user = tokens.authenticate_token(db.session, secret, clock.utcnow())
    g.api_user = user
    g.api_language = user.language  # for an answer that must not read the user again (web_errors)
    return user


def token_owner_for_locale() -> User | None:
    """The token's owner, for choosing the language of a message (``i18n.select_locale``), or None.

    A public route (a booking with a token) checks its body before its view authenticates:
    its refusals are then the first to need the language. Costs nothing on a request that
    translates nothing; a bad token is left to the view (None here, the browser's language).
    """
    if g.get("api_user") is not None:
        return g.api_user
    secret = bearer_secret()
    if secret is None or g.get("_resolving_locale"):
        return None
    g._resolving_locale = True  # the token check's own messages must not ask for the language again
    try:
        # Read only: no last-used stamp, no commit; the request is not authenticated by this.
        return tokens.find_usable_token(db.session, secret, clock.utcnow()).user
    except AuthenticationFailed:
        return None
    except DBAPIError:  # choosing a language never fails a request (its transaction was doomed anyway)
        db.session.rollback()
        return None
    finally:
        g._resolving_locale = False


def check_role(user: User, allowed: Iterable[Role | str]) -> None:
    """PermissionDenied (403) unless ``user`` has one of the ``allowed`` roles."""
    roles = {Role(r) for r in allowed}
    if user.role not in roles:
        names = [_(name) for name in sorted(r.value for r in roles)]  # role names are in the catalog
        if len(names) == 1:
            raise PermissionDenied(_("This endpoint is for %(role)s accounts.", role=names[0]))
        raise PermissionDenied(
            _("This endpoint is for %(first)s or %(second)s accounts.", first=" or ".join(names[:-1]), second=names[-1])
        )


def api_auth(*roles: Role | str) -> Callable[[F], F]:
    """Require a valid bearer token (401) and, when ``roles`` are given, one of them (403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = authenticate_request()
            if roles:
                check_role(user, roles)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def current_api_user() -> User:
    """The user authenticated by ``api_auth`` for this request."""
    user = g.get("api_user")
    if user is None:  # a programming error: the view is missing @api_auth / auth=
        raise RuntimeError("current_api_user() called outside an authenticated API view")
    return user


def unauthorized(exc: AuthenticationFailed) -> Response:
    """401 problem details with the ``WWW-Authenticate`` challenge HTTP requires on a 401."""
    db.session.rollback()
    response = problem_response(401, _(exc.title), exc.message, code=exc.code, errors=exc.field_errors)
    # RFC 6750: say "invalid_token" only when a token was actually presented.
    challenge = f'{REALM}, error="invalid_token"' if bearer_secret() is not None else REALM
    response.headers["WWW-Authenticate"] = challenge
    return response
