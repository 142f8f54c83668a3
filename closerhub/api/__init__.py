"""JSON API v1 (``/api/v1``): bearer-token auth, problem details, OpenAPI document."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from closerhub.api import views  # noqa: E402,F401  (registers the routes)
