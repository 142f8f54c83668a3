"""Signed-in appointment pages: the list, one call (context, script, history, changes), the closer's week.

Closers see their own calls, a business's team its business's, admins all (the service's
``list_appointments`` / ``find_appointment`` decide; another tenant's call is a 404).
Every time is shown in the viewer's zone with the prospect's local time beside it.
Booking for a lead and follow-ups live in ``book_views`` (same blueprint).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from babel import Locale
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import AccountStatus, User
from closerhub.accounts.permissions import closer_required, login_required
from closerhub.booking import service
from closerhub.booking.attendance import no_shows
from closerhub.booking.forms import CloserNoShowForm, HandBackForm, TeamCancelForm, TeamRescheduleForm
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.pages.display import calendar_week, day_label, hhmm, parse_day
from closerhub.booking.pages.manage import change_page_context, chosen_start, run_change
from closerhub.booking.routing_text import routing_text
from closerhub.core.errors import NotFound
from closerhub.core.tz import day_bounds_utc, to_local
from closerhub.core.when import city_name, instant_text
from closerhub.extensions import db
from closerhub.i18n import current_locale, reader_locale

bp = Blueprint("appointments", __name__)

LIST_LIMIT = 200
UPCOMING_LIMIT = 5
_CHANGE_FORMS = ("reschedule_form", "cancel_form")  # the forms the change picker takes
STATUS_CHOICES = [("", "all")] + [(s.value, s.value) for s in AppointmentStatus]


def _me() -> User:
    return current_user


def actor_label(user: User, appointment: Appointment) -> str:
    """How the history names the viewer's role on this call."""
    if user.is_admin:
        return "admin"
    return "closer" if user.id == appointment.closer_id else "business"


def both_times(appointment: Appointment, zone: str) -> dict[str, str]:
    """The call in the viewer's zone and in the prospect's (``10:00`` / ``16:00``), with day labels."""
    mine, theirs = to_local(appointment.starts_at, zone), to_local(appointment.starts_at, appointment.prospect_timezone)
    return {
        "day": day_label(mine.date()),
        "start": f"{mine:%H:%M}",
        "time": f"{mine:%H:%M}–{hhmm(appointment.ends_at, zone)}",
        "zone": zone,
        "prospect_day": day_label(theirs.date()),
        "prospect_time": f"{theirs:%H:%M}",
        "prospect_zone": appointment.prospect_timezone,
    }


bp.add_app_template_filter(routing_text, "routing_text")


def call_span(appointment: Appointment, zone: str) -> str:
    """``Tue, 8 Dec 2026, 10:00–11:00 (New York)``: the call on ``zone``'s clock, in the reader's own
    locale (a reader in Paris reads a New York call with a 24-hour clock), the zone named by city."""
    locale = reader_locale()
    start = instant_text(appointment.starts_at, zone, locale)
    return f"{start}–{instant_text(appointment.ends_at, zone, locale, 'time')} ({city_name(zone, locale)})"


@bp.app_template_global("upcoming_calls")
def upcoming_calls(user: User, limit: int = UPCOMING_LIMIT) -> list[dict[str, Any]]:
    """The next booked calls of ``user`` (the dashboards' Upcoming calls card), with both local times."""
    stmt = service.list_appointments(db.session, user, status=AppointmentStatus.BOOKED, start=clock.utcnow())
    return [{"appointment": a, **both_times(a, user.timezone)} for a in db.session.scalars(stmt.limit(limit))]


@bp.app_template_global("has_endpoint")
def has_endpoint(name: str) -> bool:
    """True when the app serves ``name`` (links to pages other engineers may not have shipped)."""
    return name in current_app.view_functions


def _filters(zone: str) -> tuple[dict[str, Any], list[str]]:
    """The list's filters from the query string; defaults: upcoming booked calls. Bad values are reported."""
    args = request.args
    errors: list[str] = []
    if not args:
        return {"status": "booked", "from": to_local(clock.utcnow(), zone).date(), "to": None}, errors
    status = args.get("status", "")
    if status not in {value for value, _label in STATUS_CHOICES}:
        errors.append(_("Unknown status “%(status)s”; showing every status.", status=status[:20]))
        status = ""
    days: dict[str, Any] = {}
    for key in ("from", "to"):
        raw = args.get(key, "")
        days[key] = parse_day(raw) if raw else None
        if raw and days[key] is None:
            errors.append(_("“%(value)s” is not a date (use YYYY-MM-DD); that filter is ignored.", value=raw[:20]))
    if days["from"] and days["to"] and days["to"] < days["from"]:
        errors.append(_("The end date is before the start date; that filter is ignored."))
        days["to"] = None
    return {"status": status, **days}, errors


@bp.get("/appointments")
@login_required
def index() -> tuple[str, int]:
    """The viewer's calls, filtered by status and dates (local dates in the viewer's zone)."""
    user = _me()
    zone = user.timezone
    filters, errors = _filters(zone)
    start = day_bounds_utc(filters["from"], zone)[0] if filters["from"] else None
    end = day_bounds_utc(filters["to"], zone)[1] if filters["to"] else None
    stmt = service.list_appointments(db.session, user, status=filters["status"] or None, start=start, end=end)
    rows = [{"appointment": a, **both_times(a, zone)} for a in db.session.scalars(stmt.limit(LIST_LIMIT))]
    return render_template(
        "appointments/index.html",
        rows=rows,
        filters=filters,
        errors=errors,
        statuses=STATUS_CHOICES,
        zone=zone,
        limit=LIST_LIMIT,
    ), 200


def _find(appointment_id: int) -> Appointment:
    try:
        return service.find_appointment(db.session, appointment_id, _me())
    except NotFound:
        abort(404)


CallPanel = Callable[[Appointment, User, datetime], dict[str, Any]]
_CALL_PANELS = "closerhub.booking.call_panels"


def add_call_panel(app: Flask, template: str, panel: CallPanel) -> None:
    """Show ``template`` on every call's page with what ``panel(appointment, viewer, now)`` returns.

    Booking names no package above it: the app factory adds their panels (outcomes: the outcome,
    its review and their forms, ``outcomes.panel_views``), in the order they show.
    """
    panels: list[tuple[str, CallPanel]] = app.extensions.setdefault(_CALL_PANELS, [])
    if (template, panel) not in panels:
        panels.append((template, panel))


def _panels_context(appointment: Appointment, user: User, now: datetime) -> dict[str, Any]:
    panels: list[tuple[str, CallPanel]] = current_app.extensions.get(_CALL_PANELS, [])
    context: dict[str, Any] = {"call_panels": [template for template, _panel in panels]}
    for _template, panel in panels:
        context |= panel(appointment, user, now)
    return context


def _render_show(appointment: Appointment, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    user = _me()
    zone = user.timezone
    now = clock.utcnow()
    forms.setdefault("reschedule_form", TeamRescheduleForm(formdata=None))
    forms.setdefault("cancel_form", TeamCancelForm(formdata=None))
    handback_form = forms.pop("handback_form", None) or HandBackForm(formdata=None)
    no_show_form = forms.pop("no_show_form", None) or CloserNoShowForm(formdata=None)
    report = no_shows.report_for(db.session, appointment.id)
    # A refused form of a panel (a dispute, a review) comes back here with its errors beside its field.
    panel_forms = {name: forms.pop(name) for name in list(forms) if name not in _CHANGE_FORMS}
    context = change_page_context(
        appointment,
        zone=zone,
        week_arg=request.args.get("week"),
        now=now,
        other_zone=appointment.prospect_timezone,
        **forms,
    )
    follow_ups = db.session.scalars(
        service.list_appointments(db.session, user).where(Appointment.follow_up_of_id == appointment.id)
    ).all()
    return render_template(
        "appointments/show.html",
        appointment=appointment,
        lead=appointment.lead,
        offer=appointment.offer,
        times=both_times(appointment, zone),
        summary=call_span(appointment, zone),
        prospect_summary=call_span(appointment, appointment.prospect_timezone),
        zone=zone,
        is_closer=user.id == appointment.closer_id,
        handback_form=handback_form if user.id == appointment.closer_id else None,
        follow_ups=follow_ups,
        no_show_form=no_show_form,
        no_show_report=report,
        can_report_no_show=user.business_id == appointment.business_id
        and report is None
        and no_shows.can_report(appointment, now),
        closer_suspended=appointment.closer.status != AccountStatus.ACTIVE
        and appointment.status == AppointmentStatus.BOOKED,
        **(_panels_context(appointment, user, now) | panel_forms),
        **context,
    ), status


def render_call_page(appointment_id: int, status: int, **forms: FlaskForm) -> tuple[str, int]:
    """The call's page again with ``forms`` (as posted, errors attached): used by the outcome actions."""
    return _render_show(_find(appointment_id), status, **forms)


@bp.get("/appointments/<int:appointment_id>")
@login_required
def show(appointment_id: int) -> tuple[str, int]:
    """One call: when (both zones), how to join, the lead's context, the script, the history and the changes."""
    return _render_show(_find(appointment_id))


@bp.post("/appointments/<int:appointment_id>/reschedule")
@login_required
def reschedule(appointment_id: int) -> Response | tuple[str, int]:
    """Move the call to another free slot of the same closer."""
    appointment = _find(appointment_id)
    form = TeamRescheduleForm()

    def action() -> Appointment:
        return service.reschedule(
            db.session,
            appointment,
            start=chosen_start(request.form.get("start")),
            actor=_me(),
            actor_label=actor_label(_me(), appointment),
            reason=form.reason.data or None,
            message_to_prospect=form.message_to_prospect.data or None,
            now=clock.utcnow(),
        )

    error = run_change(form, action)
    if error:
        return _render_show(_find(appointment_id), error, reschedule_form=form)
    flash(_("Call moved; everyone has been told."), "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


@bp.post("/appointments/<int:appointment_id>/cancel")
@login_required
def cancel(appointment_id: int) -> Response | tuple[str, int]:
    """Cancel the call (the slot becomes free again)."""
    appointment = _find(appointment_id)
    form = TeamCancelForm()
    error = run_change(
        form,
        lambda: service.cancel(
            db.session,
            appointment,
            actor=_me(),
            actor_label=actor_label(_me(), appointment),
            reason=form.reason.data or None,
            message_to_prospect=form.message_to_prospect.data or None,
            now=clock.utcnow(),
        ),
    )
    if error:
        return _render_show(_find(appointment_id), error, cancel_form=form)
    flash(_("Call cancelled; everyone has been told."), "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


@bp.get("/schedule")
@closer_required
def schedule() -> tuple[str, int]:
    """The closer's week (from the locale's first week day, in their zone), each call with the prospect's
    local time beside it; on the week's last day the default is the coming week (see ``calendar_week``)."""
    user = _me()
    zone = user.timezone
    now = clock.utcnow()
    raw = request.args.get("week", "")
    requested = parse_day(raw) if raw else None
    error = (
        _("“%(value)s” is not a date (use YYYY-MM-DD); showing this week.", value=raw[:20])
        if raw and not requested
        else None
    )
    today = to_local(now, zone).date()
    week = calendar_week(requested, today, Locale.parse(current_locale()).first_week_day)
    start, end = day_bounds_utc(week.first, zone)[0], day_bounds_utc(week.last, zone)[1]
    stmt = service.list_appointments(db.session, user, start=start, end=end)
    days: dict[Any, list[dict[str, Any]]] = {week.first + timedelta(days=i): [] for i in range(7)}
    for appointment in db.session.scalars(stmt):
        if appointment.status == AppointmentStatus.CANCELLED:
            continue
        local = to_local(appointment.starts_at, zone)
        days.setdefault(local.date(), []).append({"appointment": appointment, **both_times(appointment, zone)})
    return render_template(
        "appointments/schedule.html",
        week=week,
        days=[(day, day_label(day), calls) for day, calls in sorted(days.items())],
        zone=zone,
        error=error,
        now=now,
        coming_week=requested is None and week.first > today,
    ), 200
