"""RFC 9457 problem details: ``application/problem+json`` error bodies for the API."""

from __future__ import annotations

import json
from typing import Any

from flask import Response


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    errors: dict[str, str] | list[dict[str, str]] | None = None,
    **extra: Any,
) -> Response:
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
    return Response(json_text(body), status=status, mimetype="application/problem+json")


# Escaping these inside JSON strings keeps a response harmless even if something ever
# serves it as HTML (the classic JSON-in-HTML injection); JSON parsers read them back.
HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_text(payload: Any) -> str:
    """Compact JSON with ``<>&`` escaped (problem details echo user input back)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).translate(HTML_SAFE)


def _slug(title: str) -> str:
    return "-".join(title.lower().split()) or "about:blank"
