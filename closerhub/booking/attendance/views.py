"""Attendance pages: the prospect confirms they will come; "my closer did not come" (prospect and business).
The admin's queue of those reports is ``admin.no_show_views``.

``/appointments/attend/<token>`` comes from the 24 h reminder (``attendance.attendance_token``): the GET
shows the call and a button, the POST confirms (a mail scanner that opens links confirms nothing).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import business_required
from closerhub.booking import service
from closerhub.booking.attendance import no_shows
from closerhub.booking.attendance import service as attendance
from closerhub.booking.forms import CloserNoShowForm
from closerhub.booking.models import Appointment
from closerhub.booking.pages.display import when_label
from closerhub.booking.pages.manage_views import back_to_manage, manage_page, refused_form
from closerhub.booking.pages.views import BOOKING_LIMIT, appointment_or_404
from closerhub.booking.pages.views import bp as public_bp
from closerhub.booking.views import bp as appointments_bp
from closerhub.booking.views import render_call_page
from closerhub.core.errors import DomainError, NotFound
from closerhub.extensions import csrf, db, limiter
from closerhub.forms_util import ActionForm, show_errors


def _attendance_or_404(token: str) -> Appointment:
    try:
        return attendance.appointment_for_attendance_token(db.session, token)
    except NotFound:
        abort(404)


def _attend_page(appointment: Appointment, token: str, status: int = 200) -> tuple[str, int]:
    zone = appointment.prospect_zone
    return render_template(
        "booking/attend.html",
        appointment=appointment,
        token=token,
        summary=when_label(appointment.starts_at, appointment.ends_at, zone),
        can_confirm=attendance.can_confirm(appointment, clock.utcnow()),
        manage_token=service.manage_token(appointment),
        form=ActionForm(formdata=None),
    ), status


@public_bp.get("/appointments/attend/<token>")
def attend(token: str) -> tuple[str, int]:
    """The call, and a button to say "I will be there"."""
    return _attend_page(_attendance_or_404(token), token)


@public_bp.post("/appointments/attend/<token>")
@limiter.limit(BOOKING_LIMIT)
def attend_confirm(token: str) -> Response | tuple[str, int]:
    appointment = _attendance_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attendance.confirm(db.session, appointment, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _attend_page(_attendance_or_404(token), token, exc.status)
    flash(_("Thank you: your closer knows you will be there."), "success")
    return redirect(url_for("booking_public.attend", token=token))


@public_bp.post("/appointments/manage/<token>/closer-no-show")
@limiter.limit(BOOKING_LIMIT)
def prospect_closer_no_show(token: str) -> Response | tuple[str, int]:
    """ "My closer did not come" from the prospect's manage page (after the start time)."""
    appointment = appointment_or_404(token)
    refused = refused_form(token)
    if refused:
        return refused
    form = CloserNoShowForm(meta={"csrf": False})  # ``manage_form_token`` instead (``refused_form``)
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return manage_page(appointment, token, 422, no_show_form=form)
    try:
        no_shows.report(db.session, appointment, reporter=None, note=form.note.data, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc)
        return manage_page(appointment_or_404(token, allow_cancelled=True), token, exc.status, no_show_form=form)
    return back_to_manage(token, "reported")


csrf.exempt(prospect_closer_no_show)  # like the manage page's other forms (``manage_views``)


@appointments_bp.post("/appointments/<int:appointment_id>/closer-no-show")
@business_required
def business_closer_no_show(appointment_id: int) -> Response | tuple[str, int]:
    """The business reports that the closer did not come (after the start time)."""
    try:
        appointment = service.find_appointment(db.session, appointment_id, current_user)
    except NotFound:
        abort(404)
    form = CloserNoShowForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return render_call_page(appointment_id, 422, no_show_form=form)
    try:
        no_shows.report(db.session, appointment, reporter=current_user, note=form.note.data, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc)
        return render_call_page(appointment_id, exc.status, no_show_form=form)
    flash(_("Reported. An admin will review it; the prospect was offered another time."), "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))
