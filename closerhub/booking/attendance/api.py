"""API v1: a business reports that the closer did not come to a call (``booking.no_shows``)."""

from __future__ import annotations

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.booking import service
from closerhub.booking.attendance import no_shows
from closerhub.booking.schemas import CloserNoShowIn, CloserNoShowOut
from closerhub.extensions import db


@api_route(
    "POST",
    "/appointments/<int:appointment_id>/closer-no-show",
    summary="Report that the closer did not come (business)",
    body=CloserNoShowIn,
    auth=("business",),
    response=CloserNoShowOut,
    status=201,
    tags=("appointments",),
    errors=(409,),
)
def report_closer_no_show(appointment_id: int, body: CloserNoShowIn) -> CloserNoShowOut:
    """After the call's start time. An admin reviews the report; once confirmed it counts in the
    closer's public stats. The prospect is emailed a link to book another time. 409 `too_early`
    before the start, `already_reported` for a second report, `not_reportable` for a cancelled call."""
    user = current_api_user()
    appointment = service.find_appointment(db.session, appointment_id, user)
    row = no_shows.report(db.session, appointment, reporter=user, note=body.note, now=clock.utcnow())
    return CloserNoShowOut(
        id=row.id,
        appointment_id=row.appointment_id,
        status=row.status.value,
        reported_by=row.reported_by,
        note=row.note,
        created_at=row.created_at,
    )
