"""API v1: one appointment as an ICS file (``GET /api/v1/appointments/{id}.ics``).

Same service as the web: ``calendar_feed.appointment_ics``. Another tenant's appointment is
a 404 problem, like every object the caller may not see.
"""

from __future__ import annotations

from flask import Response

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.booking.calendar_files import feed as calendar_feed
from closerhub.booking.calendar_files.views import ics_response
from closerhub.extensions import db


@api_route(
    "GET",
    "/appointments/<int:appointment_id>.ics",
    summary="One appointment as an iCalendar invite",
    response={"type": "string", "description": "iCalendar (RFC 5545): METHOD:REQUEST, or CANCEL once cancelled"},
    response_media_type="text/calendar",
    tags=("appointments",),
)
def get_appointment_ics(appointment_id: int) -> Response:
    """The closer on the call, the business's team and admins. The UID is stable across reschedules and
    SEQUENCE counts them, so importing a newer copy updates the event instead of duplicating it."""
    data = calendar_feed.appointment_ics(db.session, appointment_id, current_api_user(), now=clock.utcnow())
    return ics_response(data, f"appointment-{appointment_id}.ics")
