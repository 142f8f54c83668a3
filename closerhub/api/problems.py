"""RFC 9457 problem details: ``application/problem+json`` error bodies for the API."""

from __future__ import annotations

from typing import Any

from flask import Response, json


def problem_response(status: int, title: str, detail: str, *, code: str | None = None,
                     errors: dict[str, str] | list[dict[str, str]] | None = None,
                     **extra: Any) -> Response:
    """A problem-details response. ``errors`` lists ``{"field", "message"}`` items."""
    if isinstance(errors, dict):
        errors = [{"field": f, "message": m} for f, m in errors.items()]
    body: dict[str, Any] = {
        "type": f"https://closerhub.dev/problems/{code or _slug(title)}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    if code:
        body["code"] = code
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def _slug(title: str) -> str:
    return "-".join(title.lower().split()) or "about:blank"
