"""API v1: a closer hands a booked call back (``booking.handover``)."""

from __future__ import annotations

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.booking import service
from closerhub.booking.changes import handover
from closerhub.booking.schemas import HandBackIn, HandBackOut
from closerhub.extensions import db


@api_route(
    "POST",
    "/appointments/<int:appointment_id>/hand-back",
    summary="Hand a call back (closer): another free engaged closer takes it, else it is cancelled",
    body=HandBackIn,
    auth=("closer",),
    response=HandBackOut,
    tags=("appointments",),
    errors=(409,),
)
def hand_back_appointment(appointment_id: int, body: HandBackIn) -> HandBackOut:
    """ "Not a fit for me": the closer of a booked call gives it back before it starts, with a reason
    the business reads (the prospect never does). Another engaged closer free at that time takes it
    (the routing rule); with none, the call is cancelled (the change policy applies) and the prospect
    gets a link to book again. 403 for anyone but the call's closer."""
    user = current_api_user()
    appointment = service.find_appointment(db.session, appointment_id, user)
    done = handover.hand_back(db.session, appointment, closer=user, reason=body.reason, now=clock.utcnow())
    return HandBackOut(id=appointment_id, result="reassigned" if done.reassigned else "cancelled")
