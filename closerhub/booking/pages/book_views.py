"""Booking from the signed-in side: a business books a call for one of its leads; a closer books a follow-up.

Both pick a slot (radio buttons, no JavaScript) in the viewer's zone with the lead's local
time beside it, then call ``service.book`` like the public page and the API. A slot taken
in the meantime shows the page again with the nearest free times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import business_required, closer_required
from closerhub.booking import service
from closerhub.booking.commands import BookingRequest
from closerhub.booking.forms import BookForLeadForm
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.models import Appointment, BookedVia
from closerhub.booking.pages import page_data
from closerhub.booking.pages.display import booking_week, group_by_local_date, iso_z, parse_day, parse_id, parse_start
from closerhub.booking.views import bp
from closerhub.businesses import offers as offers_service
from closerhub.businesses.models import Offer
from closerhub.core.errors import DomainError, NotFound
from closerhub.core.tz import to_local
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.leads import service as leads
from closerhub.leads.models import Lead


def _me() -> User:
    return current_user


def _lead_or_404(lead_id: int | None) -> Lead:
    """A lead of the viewer's own business (closers and other tenants get a 404)."""
    if lead_id is None:
        abort(404)
    try:
        lead = leads.find_lead(db.session, lead_id, _me())
    except NotFound:
        abort(404)
    if lead.business_id != _me().business_id:
        abort(404)
    return lead


def _book(
    form: BookForLeadForm,
    *,
    offer: Offer,
    lead: Lead,
    actor: User,
    via: BookedVia,
    closer_id: int | None,
    engagement_id: int | None = None,
    follow_up_of: Appointment | None = None,
) -> tuple[Appointment | None, list[datetime], int]:
    """Validate the form and book; returns the appointment, or the alternatives and the status to show."""
    valid = form.validate_on_submit()
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        abort(400)
    if not valid:
        flash(_("Please correct the highlighted fields."), "error")
        return None, [], 422
    start = parse_start(form.start.data)
    if start is None:
        form.start.errors = [_("Choose one of the free times.")]
        flash(_("Choose one of the free times."), "error")
        return None, [], 422
    booking = BookingRequest(
        start=start, channel=form.channel.data, lead=lead, closer_id=closer_id, engagement_id=engagement_id
    )
    try:
        appointment = service.book(
            db.session, booking, offer=offer, actor=actor, via=via, now=clock.utcnow(), follow_up_of=follow_up_of
        )
    except SlotUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return None, page_data.alternative_starts(exc), 409
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        show_errors(form, exc, BookingRequest)
        return None, [], exc.status
    return appointment, [], 200


def _alternatives(starts: list[datetime], zone: str, other_zone: str) -> list[Any]:
    return group_by_local_date(((s, None) for s in starts), zone, other_zone=other_zone)


PICK_LIMIT = 200  # leads offered in the first step's list, newest first; the leads page searches the rest


def _pick_lead() -> tuple[str, int]:
    """The first step when no lead is given: choose one of the business's leads (and an offer), or add one."""
    given = "lead_id" in request.args
    errors: dict[str, str] = {}
    if given:
        errors["lead_id"] = _("Choose a lead.")
    return render_template(
        "appointments/pick_lead.html",
        leads=list(db.session.scalars(leads.leads_query(_me()).limit(PICK_LIMIT))),
        offers=offers_service.list_offers(db.session, _me(), active_only=True),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/appointments/new", methods=["GET", "POST"])
@business_required
def new() -> Response | tuple[str, int]:
    """Book a call for a lead: choose the offer, a closer engaged on it (or automatic routing), a slot, a channel.

    Without ``?lead_id=`` the page asks for the lead (and offer) first.
    """
    user = _me()
    if parse_id(request.args.get("lead_id")) is None:
        if request.method == "POST":
            abort(400)  # the booking form always carries its lead; a bare POST is malformed
        return _pick_lead()
    lead = _lead_or_404(parse_id(request.args.get("lead_id")))
    now = clock.utcnow()
    zone = user.timezone
    offers = offers_service.list_offers(db.session, user, active_only=True)
    errors: list[str] = []
    offer: Offer | None = None
    if request.args.get("offer_id"):
        offer = next((o for o in offers if o.id == parse_id(request.args.get("offer_id"))), None)
        if offer is None:
            errors.append(_("Choose one of your active offers."))
    closers: list[User] = page_data.engaged_closers(db.session, offer) if offer else []
    closer_arg = request.args.get("closer", "auto")
    closer_id = parse_id(closer_arg) if closer_arg != "auto" else None
    if closer_arg != "auto" and closer_id not in {c.id for c in closers}:
        if offer is not None:
            errors.append(_("That closer is not engaged on this offer; calls are routed automatically."))
        closer_id = None

    form = BookForLeadForm()
    alternatives: list[datetime] = []
    status = 200
    if request.method == "POST":
        if offer is None:
            abort(400)
        appointment, alternatives, status = _book(
            form, offer=offer, lead=lead, actor=user, via=BookedVia.BUSINESS, closer_id=closer_id
        )
        if appointment is not None:
            flash(_("Call booked with %(closer)s; everyone has been told.", closer=appointment.closer.name), "success")
            return redirect(url_for("appointments.show", appointment_id=appointment.id))

    week = days = None
    if offer is not None:
        today = to_local(now, zone).date()
        week = booking_week(
            parse_day(request.args.get("week")), today, page_data.last_bookable_date(db.session, closers, now, zone)
        )
        days = page_data.offer_day_slots(
            db.session,
            offer,
            zone=zone,
            first=week.first,
            last=week.last,
            now=now,
            closer_id=closer_id,
            other_zone=lead.timezone,
        )
    query = {"lead_id": lead.id, "offer_id": offer.id if offer else None, "closer": closer_id or "auto"}
    return render_template(
        "appointments/new.html",
        lead=lead,
        offers=offers,
        offer=offer,
        closers=closers,
        closer_id=closer_id,
        errors=errors,
        week=week,
        days=days or [],
        alternatives=_alternatives(alternatives, zone, lead.timezone),
        form=form,
        zone=zone,
        query=query,
        iso_z=iso_z,
    ), status


@bp.route("/appointments/<int:appointment_id>/follow-up", methods=["GET", "POST"])
@closer_required
def follow_up(appointment_id: int) -> Response | tuple[str, int]:
    """The closer books another call with the same lead, on the same engagement, in one of their own slots."""
    user = _me()
    try:
        first = service.find_appointment(db.session, appointment_id, user)
    except NotFound:
        abort(404)
    if first.closer_id != user.id:
        abort(404)
    now = clock.utcnow()
    zone = user.timezone
    form = BookForLeadForm()
    alternatives: list[datetime] = []
    status = 200
    wanted = parse_start(request.args.get("start")) if request.method == "GET" else None
    if wanted is not None:  # pre-filled from the outcome's next step: that slot is ticked, its week shown
        form.start.data = iso_z(wanted)
        form.channel.data = first.channel.value
    if request.method == "POST":
        appointment, alternatives, status = _book(
            form,
            offer=first.offer,
            lead=first.lead,
            actor=user,
            via=BookedVia.CLOSER,
            closer_id=user.id,
            engagement_id=first.engagement_id,
            follow_up_of=first,
        )
        if appointment is not None:
            flash(_("Follow-up call booked; %(lead)s has been told.", lead=appointment.lead.name), "success")
            return redirect(url_for("appointments.show", appointment_id=appointment.id))
        first = service.find_appointment(db.session, appointment_id, user)
    today = to_local(now, zone).date()
    requested_week = parse_day(request.args.get("week"))
    if requested_week is None and wanted is not None:
        requested_week = to_local(wanted, zone).date()
    week = booking_week(requested_week, today, page_data.last_bookable_date(db.session, [user], now, zone))
    slots = service.closer_slots(
        db.session, user, viewer_zone=zone, from_date=week.first, to_date=week.last, now=now, offer=first.offer
    )
    return render_template(
        "appointments/follow_up.html",
        first=first,
        lead=first.lead,
        week=week,
        days=group_by_local_date(((s.start, s.end) for s in slots), zone, other_zone=first.lead.timezone),
        alternatives=_alternatives(alternatives, zone, first.lead.timezone),
        form=form,
        zone=zone,
    ), status
