"""Security headers on every response (CSP, framing, sniffing, referrer; HSTS in production)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

_IMAGES = "img-src 'self' data:"
_NO_FRAMING = "frame-ancestors 'none'"
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        _IMAGES,
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        _NO_FRAMING,
    ]
)


def allows_http_origins() -> bool:
    """``http://`` logos and embed origins (a loopback dev server) are accepted outside production only."""
    return current_app.config.get("ENV_NAME") != "production"


def prospect_csp(frame_ancestors: str = "'none'") -> str:
    """The CSP of a prospect page: the business's logo may come from any https address (and, outside
    production, http), and the page may be framed by ``frame_ancestors`` (the embed's listed origins)."""
    images = _IMAGES + " https:" + (" http:" if allows_http_origins() else "")
    return CSP.replace(_IMAGES, images).replace(_NO_FRAMING, f"frame-ancestors {frame_ancestors}")


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if _NO_FRAMING in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")  # an embeddable page lists its framers in the CSP
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS_ENABLED"):
        # Sent whatever the request's scheme: behind the TLS-terminating proxy the app sees HTTP.
        max_age = int(current_app.config.get("HSTS_MAX_AGE", 365 * 24 * 60 * 60))
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _refuse_nul_bytes() -> None:
    """No text field anywhere accepts NUL: PostgreSQL cannot store it and no person types it.

    Checked once for every request (query, form, JSON) so each form and endpoint answers
    the same clear 422 instead of a database error.
    """
    values: list[Any] = [*request.args.values(), *request.form.values()]
    if request.is_json:
        values.append(request.get_json(silent=True))
    if any(_contains_nul(v) for v in values):
        raise ValidationError(_("Text cannot contain NUL (\\x00) characters."), code="nul_character")


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops > 0:  # the client's address and scheme as the trusted proxies saw them (rate limits, links)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.before_request(_refuse_nul_bytes)
    app.after_request(_headers)
