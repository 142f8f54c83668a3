"""JSON API v1 (``/api/v1``), its OpenAPI document and the human docs page (``/api/docs``).

The blueprint is mounted at ``/api`` so that one blueprint holds both the versioned
JSON routes (``/api/v1/...``, declared with ``routing.api_route``) and the HTML guide
``/api/docs`` (endpoint ``api.docs``). A future ``/api/v2`` is another prefix here.

The package is the API's infrastructure only (auth, problems, pagination, idempotency,
validation, OpenAPI, and its own routes: sign-up, tokens, the document, the docs page);
it names no feature. Each feature's endpoints live in its own ``api`` module (declared with
``api_route``); the app factory (``closerhub/__init__.py``, ``API_ROUTE_MODULES``) names
every such module, before it registers this blueprint.
"""

from __future__ import annotations

from flask import Blueprint

from closerhub.core.errors import AuthenticationFailed

bp = Blueprint("api", __name__, url_prefix="/api")
API_PREFIX = "/v1"  # relative to the blueprint: routes live under /api/v1

from closerhub.api import auth  # noqa: E402  (needs bp)

# A 401 needs the WWW-Authenticate challenge; the app-wide DomainError handler does not add it.
bp.register_error_handler(AuthenticationFailed, auth.unauthorized)
