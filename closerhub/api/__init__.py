"""JSON API v1 (``/api/v1``), its OpenAPI document and the human docs page (``/api/docs``).

The blueprint is mounted at ``/api`` so that one blueprint holds both the versioned
JSON routes (``/api/v1/...``, declared with ``routing.api_route``) and the HTML guide
``/api/docs`` (endpoint ``api.docs``). A future ``/api/v2`` is another prefix here.

To add endpoints from a new module, declare them with ``api_route`` and import the
module at the bottom of this file.
"""

from __future__ import annotations

from flask import Blueprint

from closerhub.core.errors import AuthenticationFailed

bp = Blueprint("api", __name__, url_prefix="/api")
API_PREFIX = "/v1"  # relative to the blueprint: routes live under /api/v1

from closerhub.api import (  # noqa: E402, F401  (these modules register routes)
    auth,
    business_api,
    leads_api,
    views,
)
from closerhub.booking import api as booking_api  # noqa: E402, F401
from closerhub.booking import attendance_api, calendar_api, handover_api  # noqa: E402, F401
from closerhub.calendars import api as calendars_api  # noqa: E402, F401
from closerhub.closers import api as closers_api  # noqa: E402, F401
from closerhub.engagements import api as engagements_api  # noqa: E402, F401
from closerhub.matching import api as matching_api  # noqa: E402, F401
from closerhub.outcomes import api as outcomes_api  # noqa: E402, F401
from closerhub.outcomes import instalments_api  # noqa: E402, F401
from closerhub.payments import charges_api, payout_api, payout_details_api  # noqa: E402, F401
from closerhub.webhooks import api as webhooks_api  # noqa: E402, F401

# A 401 needs the WWW-Authenticate challenge; the app-wide DomainError handler does not add it.
bp.register_error_handler(AuthenticationFailed, auth.unauthorized)
