"""Error pages for HTML and problem details for the API (RFC 9457)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, g, render_template, request
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from closerhub.api.problems import problem_response
from closerhub.core.errors import DomainError
from closerhub.core.i18n import N_, _
from closerhub.db import is_transient, is_unavailable
from closerhub.extensions import db
from closerhub.i18n import language_without_queries

log = logging.getLogger(__name__)

# Headings of the HTML error pages for the common HTTP errors (werkzeug's names, translated where shown).
_HTTP_TITLES = {
    400: N_("Bad Request"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    413: N_("Request Entity Too Large"),
    429: N_("Too Many Requests"),
    401: N_("Unauthorized"),
    409: N_("Conflict"),
    410: N_("Gone"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    503: N_("Service Unavailable"),
}
# What the HTML error pages say for those: always for 403, 404 and 429; for the others only
# instead of werkzeug's own English description (a view's abort(..., description) is kept).
_HTTP_MESSAGES = {
    403: N_("You do not have access to this page."),
    404: N_("We could not find that page. It may have moved, or you may not have access to it."),
    429: N_("Too many attempts. Wait a moment and try again."),
    400: N_("The request could not be understood. Go back, reload the page and try again."),
    405: N_("This page cannot be used that way. Go back and use the links and buttons on the page."),
    413: N_("What you sent is too large. Try a smaller file."),
}
_ALWAYS_OURS = frozenset({403, 404, 429})


def _page_message(exc: HTTPException, code: int) -> str:
    """The error page's sentence: ours (translated) unless a view gave its own description."""
    own = exc.description not in (None, type(exc).description)
    if code in _HTTP_MESSAGES and (code in _ALWAYS_OURS or not own):
        return _(_HTTP_MESSAGES[code])
    return exc.description or exc.name


def _wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def _html_error(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, title=title, message=message), code


@dataclass(frozen=True)
class DatabaseTrouble:
    """What a 503 from the database says: its problem code, its sentence, when to try again."""

    code: str
    message: str
    retry_after_seconds: int


BUSY = DatabaseTrouble(
    "busy", N_("The server was busy with another change at the same moment; nothing was saved. Try again."), 1
)
# A restart or a failover takes seconds, not a moment: a longer Retry-After spares the server.
UNAVAILABLE = DatabaseTrouble(
    "database_unavailable", N_("The service is temporarily unavailable; nothing was saved. Try again in a moment."), 5
)


def _forget_the_transaction() -> None:
    """Roll the session back; on a connection that is already gone there is nothing to roll back."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("Rollback failed after a database error on %s %s", request.method, request.path)


def _database_trouble_response(trouble: DatabaseTrouble) -> Response:
    """The 503 for a request the database could not serve, drawn without touching the database again
    (it is what failed): the reader's language from memory, the page drawn for a visitor."""
    language = language_without_queries()
    _forget_the_transaction()
    g._login_user = AnonymousUserMixin()  # the user's row is not read again
    with force_locale(language):
        message = _(trouble.message)
        if _wants_problem_json():
            response = problem_response(503, _("Service Unavailable"), message, code=trouble.code)
        else:
            html, _status = _html_error(503, _("Service Unavailable"), message)
            response = Response(html, 503)
    response.headers["Retry-After"] = str(trouble.retry_after_seconds)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _html_error(
            400,
            _("Form expired or forged"),
            _("The form could not be verified. Go back, reload the page and try again."),
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response | tuple[str, int]:
        db.session.rollback()
        if _wants_problem_json():
            return problem_response(exc.status, _(exc.title), exc.message, code=exc.code, errors=exc.field_errors)
        return _html_error(exc.status, _(exc.title), exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | tuple[str, int]:
        code = exc.code or 500
        if _wants_problem_json():
            response = problem_response(code, exc.name, exc.description or exc.name)
            # Keep what the protocol needs from werkzeug's own answer: Allow (405), Retry-After (429), ...
            for name in ("Allow", "Retry-After", "WWW-Authenticate"):
                if name in exc.get_response().headers:
                    response.headers[name] = exc.get_response().headers[name]
            return response
        title = _(_HTTP_TITLES[code]) if code in _HTTP_TITLES else exc.name
        message = _page_message(exc, code)
        html, status = _html_error(code, title, message)
        if code == 429:
            return Response(html, status, headers=dict(exc.get_response().headers))
        return html, status

    @app.errorhandler(DBAPIError)
    def database_trouble(exc: DBAPIError) -> Response | tuple[str, int]:
        """The database gave up on the request (busy) or is out of reach (unavailable): nothing was
        saved, and the same request can succeed a moment later. A 503 with Retry-After says so;
        anything else from the database is a real 500."""
        if is_transient(exc):
            trouble = BUSY
        elif is_unavailable(exc):
            trouble = UNAVAILABLE
        else:
            return server_error(exc)
        log.warning("Database %s on %s %s: %s", trouble.code, request.method, request.path, exc.orig)
        return _database_trouble_response(trouble)

    @app.errorhandler(PoolTimeout)
    def pool_full(exc: PoolTimeout) -> Response:
        """Every connection of this process's pool stayed in use for ``pool_timeout``: the server is
        overloaded, nothing was done, and the same request can succeed a moment later."""
        log.warning("Connection pool full on %s %s: %s", request.method, request.path, exc)
        return _database_trouble_response(BUSY)

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Response | tuple[str, int]:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        _forget_the_transaction()
        if (
            app.config.get("PROPAGATE_EXCEPTIONS")
            and app.config.get("TESTING")
            and not app.config.get("SHOW_500_IN_TESTS")
        ):
            raise exc
        if _wants_problem_json():
            # The title stays the HTTP reason phrase: without a code, the problem's type is made from it.
            return problem_response(500, "Internal Server Error", _("Something went wrong on our side."))
        return _html_error(500, _("Something went wrong"), _("Something went wrong on our side. We have been told."))
