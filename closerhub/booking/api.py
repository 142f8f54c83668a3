"""API v1 appointments: book (businesses, or anyone with an offer's booking key), list, read,
reschedule, cancel. The same ``booking.service`` functions serve the booking page and the dashboards.

A slot taken meanwhile is a 409 problem ``slot_unavailable`` carrying ``alternatives``,
the 3 nearest free slots, so a client can offer them at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from flask import Response, g, request
from sqlalchemy.orm import selectinload

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.api.auth import authenticate_request, bearer_secret, current_api_user
from closerhub.api.idempotency import idempotent
from closerhub.api.pagination import paginate
from closerhub.api.problems import problem_response
from closerhub.api.routing import PUBLIC, api_route, json_response
from closerhub.api.schemas import Page, dump, utc_z
from closerhub.booking import closer_facts, service
from closerhub.booking.api_lead import lead_out, said_lead_out, said_out
from closerhub.booking.attendance.service import attendance_of
from closerhub.booking.commands import BookingRequest, Guest
from closerhub.booking.models import Appointment, BookedVia, Channel
from closerhub.booking.pages.views import BOOKING_LIMIT, public_booking_limit
from closerhub.booking.schemas import (
    AppointmentIn,
    AppointmentOut,
    AppointmentQuery,
    CancelIn,
    RescheduleIn,
)
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Offer
from closerhub.commands import errors_for
from closerhub.core.errors import NotFound, ValidationError
from closerhub.core.i18n import _
from closerhub.core.tz import day_bounds_utc, is_valid_zone, to_local
from closerhub.db import is_plausible_id
from closerhub.extensions import db
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.webhooks import payloads as webhook_payloads

BOOKING_KEY_HEADER = "X-Booking-Key"


def _iso_local(instant: datetime, zone: str) -> str:
    return to_local(instant, zone).replace(microsecond=0).isoformat()


def appointment_out(appointment: Appointment, *, private: bool = True) -> AppointmentOut:
    """The API shape of an appointment.

    ``private=False`` (an anonymous caller with a booking key) gives back only what that caller
    sent: the lead is "the prospect said", never the business's stored lead (its phone,
    context, or the name it holds), and no routing note or history.
    """
    closer = appointment.closer
    said = appointment.prospect_said
    lead_shape = lead_out(appointment.lead) if private else said_lead_out(said or {"email": appointment.lead.email})
    dial_plan = None
    if appointment.channel == Channel.PHONE and appointment.dial_number:
        dial_plan = {"caller": appointment.dial_from or "closer", "number": appointment.dial_number}
    return AppointmentOut.model_validate(
        {
            "id": appointment.id,
            "uid": appointment.uid,
            "status": appointment.status.value,
            "start": appointment.starts_at,
            "end": appointment.ends_at,
            "channel": appointment.channel.value,
            "meeting_url": appointment.meeting_url,
            "dial_plan": dial_plan,
            "closer": {"id": closer.id, "name": closer.name, "timezone": closer.timezone},
            "lead": lead_shape,
            "prospect_said": said_out(said),
            "offer": {"id": appointment.offer_id, "name": appointment.offer.name},
            "engagement_id": appointment.engagement_id,
            "business_id": appointment.business_id,
            "prospect_timezone": appointment.prospect_timezone,
            "prospect_local_start": _iso_local(appointment.starts_at, appointment.prospect_timezone),
            "closer_local_start": _iso_local(appointment.starts_at, closer.timezone),
            "answers": list(appointment.answers or []),
            "guests": list(appointment.guests or []),
            "booked_via": appointment.booked_via.value,
            "routing_reason": appointment.routing_reason if private else None,
            "sequence": appointment.sequence,
            "reschedule_count": appointment.reschedule_count,
            "cancelled_at": appointment.cancelled_at,
            "cancel_reason": appointment.cancel_reason,
            "created_at": appointment.created_at,
            "updated_at": appointment.updated_at,
            "attendance": attendance_of(appointment),
            "history": [
                {
                    "kind": e.kind,
                    "at": e.at,
                    "actor_label": e.actor_label,
                    "from_start": e.from_start,
                    "to_start": e.to_start,
                    "reason": e.reason,
                }
                for e in appointment.events
            ]
            if private
            else [],
        }
    )


def appointment_data(appointment: Appointment) -> dict[str, Any]:
    """An appointment as a webhook event's ``data``: the API resource, JSON-ready."""
    return dump(appointment_out(appointment))


webhook_payloads.register("appointment", appointment_data)


def slot_unavailable_response(exc: service.SlotUnavailable, zone: str) -> Response:
    """409 ``slot_unavailable`` with the alternatives, each with its start in ``zone``."""
    alternatives = [
        {
            "start": utc_z(slot.start),
            "end": utc_z(slot.end) if hasattr(slot, "end") else None,
            "local_start": _iso_local(slot.start, zone),
            "closer_ids": exc.closer_ids_of(slot),
        }
        for slot in exc.alternatives
    ]
    return problem_response(
        409, _(exc.title), exc.message, code=exc.code, errors=exc.field_errors, alternatives=alternatives
    )


def _offer_for(body: AppointmentIn, user: User | None) -> Offer:
    """The offer booked on: from the booking key (public), or the engagement / offer of the caller's business."""
    key = body.booking_key or request.headers.get(BOOKING_KEY_HEADER)
    if user is None:
        if not key:
            raise ValidationError(
                _("Sign in with an API token, or give the offer's booking_key."),
                field_errors={"booking_key": _("Required without an API token.")},
            )
        return service.offer_for_booking_key(db.session, key)
    scope = None if user.is_admin or user.is_closer else (user.business_id or -1)
    if body.engagement_id is not None:
        engagement = None
        if is_plausible_id(body.engagement_id):
            # Locked here, as the booking would lock it (engagement and closer), with what the booking
            # reads of the closer: one statement instead of three (``closer_facts.remember``).
            row = db.session.execute(
                closer_facts.locked_engagement_with_facts(), {"engagement_id": body.engagement_id}
            ).one_or_none()
            engagement = closer_facts.remember(db.session, row) if row is not None else None
        if engagement is None or (scope is not None and engagement.business_id != scope):
            raise NotFound(_("Engagement not found."))
        if user.is_closer and engagement.closer_id != user.id:
            raise NotFound(_("Engagement not found."))
        return engagement.offer
    if body.offer_id is not None and not user.is_closer:
        return offer_service.find_offer(db.session, body.offer_id, user)
    if key:
        return service.offer_for_booking_key(db.session, key)
    message = _("Give the engagement_id (or offer_id) to book on.")
    raise ValidationError(message, field_errors={"engagement_id": message})


def _lead_for(body: AppointmentIn, user: User | None, offer: Offer) -> Lead | LeadDetails:
    if body.lead_id is not None:
        lead = db.session.get(Lead, body.lead_id) if user is not None else None
        if lead is None or lead.business_id != offer.business_id or not lead.can_view(user):
            raise ValidationError(
                _("There is no lead with this id in this business."), field_errors={"lead_id": _("Unknown lead.")}
            )
        return lead
    if user is not None and user.is_closer:  # a closer books follow-ups with leads they already call
        message = _("Closers book follow-ups with an existing lead: give its lead_id.")
        raise ValidationError(message, field_errors={"lead_id": message})
    if body.lead is None:
        message = _("Give the prospect as lead (name, email, timezone) or an existing lead_id.")
        raise ValidationError(message, field_errors={"lead": message})
    return body.lead.details(sent_only=False)


def _follow_up(body: AppointmentIn, user: User | None) -> Appointment | None:
    if body.follow_up_of_id is None:
        return None
    if user is None:
        raise ValidationError(_("Sign in to book a follow-up."), field_errors={"follow_up_of_id": _("Not allowed.")})
    try:
        return service.find_appointment(db.session, body.follow_up_of_id, user)
    except NotFound:
        raise ValidationError(
            _("There is no such call to follow up."), field_errors={"follow_up_of_id": _("Unknown appointment.")}
        ) from None


def _book(body: AppointmentIn) -> Response:
    user: User | None = g.get("api_user")
    now = clock.utcnow()
    offer = _offer_for(body, user)
    lead = _lead_for(body, user, offer)
    zone = lead.timezone or "UTC"
    request = BookingRequest(
        start=body.start,
        channel=body.channel,
        lead=lead,
        closer_id=body.closer_id,
        engagement_id=body.engagement_id,
        answers=body.answers or {},
        guests=tuple(Guest(name=g.name, email=g.email) for g in body.guests or ()),
    )
    try:
        with _kept_after_commit(), errors_for(BookingRequest, "api"):
            appointment = service.book(
                db.session,
                request,
                offer=offer,
                actor=user,
                via=BookedVia.API,
                now=now,
                follow_up_of=_follow_up(body, user),
            )
    except service.SlotUnavailable as exc:
        return slot_unavailable_response(exc, zone if is_valid_zone(zone) else "UTC")
    return json_response(appointment_out(appointment, private=user is not None), 201)


@contextmanager
def _kept_after_commit() -> Iterator[None]:
    """Let the booking's commit leave what it wrote loaded: the 201 body is built from it, not read back.

    The booking service commits once; by default that expires every object, and the
    response would re-read the appointment, its lead, closer, offer and history (five
    queries). These objects are exactly what was just committed. Only this commit is
    affected: the flag is restored at once (a rollback still expires everything).
    """
    session = db.session()  # type: ignore[operator]  # the request's own Session, behind the scoped proxy
    saved = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = saved


@api_route(
    "POST",
    "/appointments",
    summary="Book a closing call",
    auth=PUBLIC,
    body=AppointmentIn,
    response=AppointmentOut,
    status=201,
    tags=("appointments",),
    errors=(401, 404, 409),
    idempotent_in_view=True,
    # Unauthenticated (booking key) calls share the booking page's per-address limit; token holders do not.
    rate_limit=f"{BOOKING_LIMIT} (without an API token)",
    limited_by=public_booking_limit(exempt_when=lambda: bearer_secret() is not None),
)
def create_appointment(body: AppointmentIn) -> Response:
    """With an API token (business: its engagements and offers; closer: a follow-up on their own
    engagement), or without one but with the offer's `booking_key` (body or `X-Booking-Key`).
    Accepts `Idempotency-Key`. A slot in the past, beyond the horizon, outside the closer's
    hours or a naive `start` is a 422; a slot just taken is a 409 `slot_unavailable` with
    `alternatives` (the 3 nearest free slots)."""
    if bearer_secret() is not None:
        authenticate_request()  # 401 for a bad token; the key below is then per user
    return idempotent(_book)(body)


def _instant(raw: str | None, field: str, zone: str) -> datetime | None:
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            return day_bounds_utc(date.fromisoformat(raw), zone)[0]
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        message = _("Give a date (2026-12-01) or an instant with its offset (2026-12-01T09:00:00Z).")
        raise ValidationError(message, field_errors={field: message})
    return value


@api_route(
    "GET",
    "/appointments",
    summary="Your appointments",
    query=AppointmentQuery,
    response=Page[AppointmentOut],
    tags=("appointments",),
)
def list_appointments(query: AppointmentQuery) -> dict[str, Any]:
    """A closer's own calls, a business's calls, or every call (admins), oldest booking first.
    `from`/`to` filter on the start: instants with an offset, or dates in your zone."""
    user = current_api_user()
    stmt = service.list_appointments(
        db.session,
        user,
        status=query.status,
        start=_instant(query.from_, "from", user.timezone),
        end=_instant(query.to, "to", user.timezone),
    ).options(selectinload(Appointment.events))  # each item's history: one query for the page
    return paginate(db.session, stmt, Appointment.id, query, lambda a: appointment_out(a).model_dump(mode="json"))


@api_route(
    "GET",
    "/appointments/<int:appointment_id>",
    summary="One appointment",
    response=AppointmentOut,
    tags=("appointments",),
)
def get_appointment(appointment_id: int) -> AppointmentOut:
    """Another tenant's appointment is a 404, exactly like a missing one."""
    return appointment_out(service.find_appointment(db.session, appointment_id, current_api_user()))


def _label(user: User) -> str:
    return "admin" if user.is_admin else "closer" if user.is_closer else "business"


@api_route(
    "POST",
    "/appointments/<int:appointment_id>/reschedule",
    summary="Move a call to another free slot of the same closer",
    body=RescheduleIn,
    response=AppointmentOut,
    tags=("appointments",),
    errors=(409,),
)
def reschedule_appointment(appointment_id: int, body: RescheduleIn) -> Any:
    """Keeps the closer and the meeting link. The business's policy applies (minimum notice,
    a reason, a maximum number of moves): refusals are 409 (`change_too_late`,
    `reschedule_limit`) or 422 (`reason`). A taken slot is a 409 `slot_unavailable`."""
    user = current_api_user()
    appointment = service.find_appointment(db.session, appointment_id, user)
    try:
        appointment = service.reschedule(
            db.session,
            appointment,
            start=body.start,
            actor=user,
            actor_label=_label(user),
            reason=body.reason,
            message_to_prospect=body.message_to_prospect,
            now=clock.utcnow(),
        )
    except service.SlotUnavailable as exc:
        return slot_unavailable_response(exc, user.timezone)
    return appointment_out(appointment)


@api_route(
    "POST",
    "/appointments/<int:appointment_id>/cancel",
    summary="Cancel a call",
    body=CancelIn,
    response=AppointmentOut,
    tags=("appointments",),
    errors=(409,),
)
def cancel_appointment(appointment_id: int, body: CancelIn) -> AppointmentOut:
    """The slot becomes free again. The business's policy applies (minimum notice, a reason)."""
    user = current_api_user()
    appointment = service.find_appointment(db.session, appointment_id, user)
    appointment = service.cancel(
        db.session,
        appointment,
        actor=user,
        actor_label=_label(user),
        reason=body.reason,
        message_to_prospect=body.message_to_prospect,
        now=clock.utcnow(),
    )
    return appointment_out(appointment)
