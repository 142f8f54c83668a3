"""Error pages for HTML and problem details for the API (RFC 9457)."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from closerhub.api.problems import problem_response
from closerhub.core.errors import DomainError
from closerhub.extensions import db

log = logging.getLogger(__name__)


def _wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def _html_error(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _html_error(
            400, "Form expired or forged", "The form could not be verified. Go back, reload the page and try again."
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response | tuple[str, int]:
        db.session.rollback()
        if _wants_problem_json():
            return problem_response(exc.status, exc.title, exc.message, code=exc.code, errors=exc.field_errors)
        return _html_error(exc.status, exc.title, exc.message)

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
        messages = {
            403: "You do not have access to this page.",
            404: "We could not find that page. It may have moved, or you may not have access to it.",
            429: "Too many attempts. Wait a moment and try again.",
        }
        html, status = _html_error(code, exc.name, messages.get(code, exc.description or exc.name))
        if code == 429:
            return Response(html, status, headers=dict(exc.get_response().headers))
        return html, status

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Response | tuple[str, int]:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if (
            app.config.get("PROPAGATE_EXCEPTIONS")
            and app.config.get("TESTING")
            and not app.config.get("SHOW_500_IN_TESTS")
        ):
            raise exc
        if _wants_problem_json():
            return problem_response(500, "Internal Server Error", "Something went wrong on our side.")
        return _html_error(500, "Something went wrong", "Something went wrong on our side. We have been told.")
