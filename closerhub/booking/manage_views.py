"""The prospect's signed link: see the call, move it (same closer), cancel it, download the invite.

``/appointments/manage/<token>`` comes from the prospect's emails and the confirmation page
(``service.manage_token``); a forged token is a 404, a cancelled call still shows (read-only).
Part of the ``booking_public`` blueprint.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from closerhub import clock
from closerhub.booking import ics, no_shows, service
from closerhub.booking.display import parse_zone, when_label
from closerhub.booking.forms import CancelForm, CloserNoShowForm, RescheduleForm
from closerhub.booking.manage import change_page_context, chosen_start, run_change
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.public_views import BOOKING_LIMIT, appointment_or_404, bp
from closerhub.core.tz import to_local
from closerhub.extensions import db, limiter


@bp.get("/appointments/manage/<token>/invite.ics")
def invite_ics(token: str) -> Response:
    """The calendar invite (METHOD:REQUEST, or CANCEL once cancelled) for the prospect's calendar."""
    appointment = appointment_or_404(token, allow_cancelled=True)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    body = ics.invite(appointment, method="CANCEL" if cancelled else "REQUEST", language=appointment.prospect_language)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="closerhub-{appointment.uid[:12]}.ics"'},
    )


@bp.get("/appointments/manage/<token>")
def manage(token: str) -> tuple[str, int]:
    """The prospect's call, with forms to move it (same closer) or cancel it."""
    return manage_page(appointment_or_404(token, allow_cancelled=True), token)


def manage_page(appointment: Appointment, token: str, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    """The manage page (``forms``: as posted, with their errors)."""
    zone, zone_error = parse_zone(request.args.get("tz"), appointment.prospect_timezone)
    now = clock.utcnow()
    no_show_form = forms.pop("no_show_form", None) or CloserNoShowForm(formdata=None)
    # The picker opens on the call's own day (``week``: older links).
    day = (
        request.args.get("day") or request.args.get("week") or to_local(appointment.starts_at, zone).date().isoformat()
    )
    context = change_page_context(appointment, zone=zone, week_arg=day, now=now, month=True, **forms)
    reported = no_shows.report_for(db.session, appointment.id) is not None
    from closerhub.booking.prospect import prospect_page  # loaded with public_views, after this module

    prospect_page(appointment.business)
    return render_template(
        "booking/manage.html",
        appointment=appointment,
        business=appointment.business,
        brand_key=appointment.offer.booking_key,
        token=token,
        zone=zone,
        zone_error=zone_error,
        summary=when_label(appointment.starts_at, appointment.ends_at, zone),
        no_show_form=no_show_form,
        can_report_no_show=no_shows.can_report(appointment, now) and not reported,
        no_show_reported=reported,
        **context,
    ), status


@bp.post("/appointments/manage/<token>/reschedule")
@limiter.limit(BOOKING_LIMIT)
def reschedule(token: str) -> ResponseReturnValue:
    """Move the call to another free slot of the same closer (the business's change policy applies)."""
    appointment = appointment_or_404(token)
    form = RescheduleForm()
    error = run_change(
        form,
        lambda: service.reschedule(
            db.session,
            appointment,
            start=chosen_start(request.form.get("start")),
            actor=None,
            actor_label="prospect",
            reason=form.reason.data or None,
            now=clock.utcnow(),
        ),
    )
    if error:
        return manage_page(appointment_or_404(token, allow_cancelled=True), token, error, reschedule_form=form)
    flash(_("Your call was moved. We emailed you the updated invitation."), "success")
    return redirect(url_for("booking_public.manage", token=token))


@bp.post("/appointments/manage/<token>/cancel")
@limiter.limit(BOOKING_LIMIT)
def cancel(token: str) -> ResponseReturnValue:
    """Cancel the call (the business's change policy applies)."""
    appointment = appointment_or_404(token)
    form = CancelForm()
    error = run_change(
        form,
        lambda: service.cancel(
            db.session,
            appointment,
            actor=None,
            actor_label="prospect",
            reason=form.reason.data or None,
            now=clock.utcnow(),
        ),
    )
    if error:
        return manage_page(appointment_or_404(token, allow_cancelled=True), token, error, cancel_form=form)
    flash(_("Your call was cancelled. The closer and the business have been told."), "success")
    return redirect(url_for("booking_public.manage", token=token))
