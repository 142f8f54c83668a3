"""The prospect's signed link: see the call, move it (same closer), cancel it, download the invite.

``/appointments/manage/<token>`` comes from the prospect's emails and the confirmation page
(``service.manage_token``); a forged token is a 404, a cancelled call still shows (read-only).
Part of the ``booking_public`` blueprint.

The page works inside a cross-site embed, where the session cookie is not sent: its forms carry a
signed form token bound to the link (``form_token.issue_manage``) instead of the session's CSRF
token, they act for the link's holder only (never as a signed-in user), and its language is the
``?lang=`` its links and forms keep (``prospect.prospect_query``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from closerhub import clock
from closerhub.booking import service
from closerhub.booking.attendance import no_shows
from closerhub.booking.calendar_files import ics
from closerhub.booking.forms import CancelForm, CloserNoShowForm, RescheduleForm
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.pages import form_token
from closerhub.booking.pages.display import parse_zone, when_label
from closerhub.booking.pages.manage import change_page_context, chosen_start, run_change
from closerhub.booking.pages.views import BOOKING_LIMIT, appointment_or_404, bp
from closerhub.core.tz import to_local
from closerhub.extensions import csrf, db, limiter


@bp.get("/appointments/manage/<token>/invite.ics")
def invite_ics(token: str) -> Response:
    """The calendar invite (METHOD:REQUEST, or CANCEL once cancelled) for the prospect's calendar."""
    appointment = appointment_or_404(token, allow_cancelled=True)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    body = ics.invite(
        appointment,
        method="CANCEL" if cancelled else "REQUEST",
        language=appointment.prospect_language,
        now=clock.utcnow(),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="closerhub-{appointment.uid[:12]}.ics"'},
    )


CHANGED_ARG = "changed"


def _changed_message(changed: str | None) -> str | None:
    """What the page says after a change (``?changed=``: a flash message would ride on the session
    cookie, which an embed on another site does not get)."""
    if changed == "moved":
        return _("Your call was moved. We emailed you the updated invitation.")
    if changed == "cancelled":
        return _("Your call was cancelled. The closer and the business have been told.")
    if changed == "reported":
        return _("Thank you for telling us. We emailed you a link to book another time.")
    return None


@bp.get("/appointments/manage/<token>")
def manage(token: str) -> tuple[str, int]:
    """The prospect's call, with forms to move it (same closer) or cancel it."""
    appointment = appointment_or_404(token, allow_cancelled=True)
    message = _changed_message(request.args.get(CHANGED_ARG))
    if message:
        flash(message, "success")  # shown by this very page
    return manage_page(appointment, token)


def manage_page(appointment: Appointment, token: str, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    """The manage page (``forms``: as posted, with their errors)."""
    zone, zone_error = parse_zone(request.args.get("tz"), appointment.prospect_timezone)
    now = clock.utcnow()
    no_show_form = forms.pop("no_show_form", None) or CloserNoShowForm(formdata=None)
    # The picker opens on the call's own day (``week``: older links).
    day = (
        request.args.get("day") or request.args.get("week") or to_local(appointment.starts_at, zone).date().isoformat()
    )
    hours = request.args.get("hours") if request.args.get("hours") in ("all", "day") else None
    context = change_page_context(appointment, zone=zone, week_arg=day, now=now, month=True, hours=hours, **forms)
    reported = no_shows.report_for(db.session, appointment.id) is not None
    from closerhub.booking.pages.prospect import prospect_page  # loaded with public_views, after this module

    prospect_page(appointment.business)
    return render_template(
        "booking/manage.html",
        manage_form_token=form_token.issue_manage(_secret(), token, now),
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
        hours=hours,  # the prospect's own choice of hours, kept in the page's links
        **context,
    ), status


def _secret() -> str:
    return str(current_app.secret_key or "")


def refused_form(token: str) -> tuple[str, int] | None:
    """For a POST of the manage page: act as the link's holder only (a signed-in user's session is set
    aside), and refuse a form whose token is missing, forged, stale or made for another link (400,
    the page again, nothing changed). None: go ahead."""
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    checked = bool(current_app.config.get("WTF_CSRF_ENABLED", True))  # the same switch as CSRF
    sent = request.form.get("manage_form_token")
    if not checked or form_token.is_valid_manage(_secret(), token, sent, clock.utcnow()):
        return None
    flash(_("This form is too old or was not made here. Reload the page and try again."), "error")
    return manage_page(appointment_or_404(token, allow_cancelled=True), token, 400)


def back_to_manage(token: str, changed: str) -> WerkzeugResponse:
    """The manage page again, keeping the embed and the language, saying what ``changed``."""
    from closerhub.booking.pages.prospect import prospect_query  # loaded with public_views, after this module

    query: dict[str, Any] = prospect_query() | {CHANGED_ARG: changed}
    return redirect(url_for("booking_public.manage", token=token, **query))


@bp.post("/appointments/manage/<token>/reschedule")
@limiter.limit(BOOKING_LIMIT)
def reschedule(token: str) -> ResponseReturnValue:
    """Move the call to another free slot of the same closer (the business's change policy applies)."""
    appointment = appointment_or_404(token)
    refused = refused_form(token)
    if refused:
        return refused
    form = RescheduleForm(meta={"csrf": False})  # ``manage_form_token`` instead (``refused_form``)
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
    return back_to_manage(token, "moved")


@bp.post("/appointments/manage/<token>/cancel")
@limiter.limit(BOOKING_LIMIT)
def cancel(token: str) -> ResponseReturnValue:
    """Cancel the call (the business's change policy applies)."""
    appointment = appointment_or_404(token)
    refused = refused_form(token)
    if refused:
        return refused
    form = CancelForm(meta={"csrf": False})  # ``manage_form_token`` instead (``refused_form``)
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
    return back_to_manage(token, "cancelled")


csrf.exempt(reschedule)  # the link's authority only; ``manage_form_token`` guards them (``form_token``)
csrf.exempt(cancel)
