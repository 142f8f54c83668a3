"""Reschedule and cancel, shared by the prospect's manage page and the signed-in appointment page.

Both show the same pieces (the closer's free slots for a week, the business's change
policy, the two forms) and run a change the same way: check the form, call the service,
and on a refusal (policy, slot taken, bad input) show the page again with the message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, flash
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from closerhub.booking import service
from closerhub.booking.forms import CancelForm, RescheduleForm
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.pages import page_data
from closerhub.booking.pages.display import (
    booking_week,
    daytime_label,
    daytime_only,
    first_weekday,
    group_by_local_date,
    is_night,
    parse_day,
    parse_start,
)
from closerhub.booking.pages.picker import month_last, month_of, month_picker, picker_labels
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.tz import to_local
from closerhub.extensions import db
from closerhub.forms_util import show_errors


def policy_lines(appointment: Appointment) -> list[str]:
    """The business's change policy in words, for the forms' side."""
    business = appointment.business
    lines = []
    notice = business.change_notice_minutes
    if notice:
        hours, minutes = divmod(notice, 60)
        if minutes:
            lines.append(_("Changes are possible until %(n)d minutes before the call.", n=notice))
        else:
            lines.append(
                ngettext(
                    "Changes are possible until %(num)d hour before the call.",
                    "Changes are possible until %(num)d hours before the call.",
                    hours,
                )
            )
    if business.change_reason_required:
        lines.append(_("Please give a reason for any change."))
    left = max(0, business.max_reschedules - appointment.reschedule_count)
    lines.append(
        ngettext("This call can be moved %(num)d more time.", "This call can be moved %(num)d more times.", left)
    )
    return lines


def change_page_context(
    appointment: Appointment,
    *,
    zone: str,
    week_arg: str | None,
    now: datetime,
    other_zone: str | None = None,
    reschedule_form: FlaskForm | None = None,
    cancel_form: FlaskForm | None = None,
    month: bool = False,
    hours: str | None = None,
) -> dict[str, Any]:
    """The slot picker (a week of the closer's free slots in ``zone``; with ``month``, the booking page's
    month calendar and the chosen day's times, ``week_arg`` then being that day), the policy and the forms.

    The month picker leaves out the times at night in ``zone``, as the booking page does, unless
    ``hours`` is ``"all"``, or is not ``"day"`` and the call being moved is itself at night there (its
    prospect chose such a time before)."""
    changeable = appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now
    context: dict[str, Any] = {
        "changeable": changeable,
        "policy": policy_lines(appointment) if changeable else [],
        "reschedule_form": reschedule_form or RescheduleForm(formdata=None),
        "cancel_form": cancel_form or CancelForm(formdata=None),
        "week": None,
        "days": [],
        "picker": None,
    }
    if changeable and month:
        all_hours = hours == "all" or (hours != "day" and is_night(appointment.starts_at, zone))
        context.update(
            _month_context(
                appointment, zone=zone, day_arg=week_arg, now=now, other_zone=other_zone, all_hours=all_hours
            )
        )
    elif changeable:
        closer = appointment.closer
        today = to_local(now, zone).date()
        last = page_data.last_bookable_date(db.session, [closer], now, zone)
        week = booking_week(parse_day(week_arg), today, last)
        slots = service.closer_slots(
            db.session,
            closer,
            viewer_zone=zone,
            from_date=week.first,
            to_date=week.last,
            now=now,
            offer=appointment.offer,
        )
        context["week"] = week
        context["days"] = group_by_local_date(((s.start, s.end) for s in slots), zone, other_zone=other_zone)
    return context


def _month_context(
    appointment: Appointment,
    *,
    zone: str,
    day_arg: str | None,
    now: datetime,
    other_zone: str | None,
    all_hours: bool,
) -> dict[str, Any]:
    """The booking page's picker over the closer's free calls on the appointment's offer (night times
    in ``zone`` left out and counted unless ``all_hours``)."""
    today = to_local(now, zone).date()
    last = page_data.last_bookable_date(db.session, [appointment.closer], now, zone)
    requested = parse_day(day_arg)
    first = month_of(requested, today, last)
    from_day, to_day = max(today, first), min(last, month_last(first))
    slots = (
        service.closer_slots(
            db.session,
            appointment.closer,
            viewer_zone=zone,
            from_date=from_day,
            to_date=to_day,
            now=now,
            offer=appointment.offer,
        )
        if from_day <= to_day
        else []
    )
    days = group_by_local_date(((s.start, s.end) for s in slots), zone, other_zone=other_zone)
    days, hidden = (days, 0) if all_hours else daytime_only(days)
    picker = month_picker(
        first, days, requested=requested, today=today, last_bookable=last, first_weekday=first_weekday(zone)
    )
    night_shown = sum(bool(slot["night"]) for day in days for slot in day.slots)  # offer to hide them only if any
    return {
        "picker": picker,
        **picker_labels(picker, zone),
        "all_hours": all_hours and night_shown > 0,
        "hidden_night": hidden,
        "daytime": daytime_label(zone),
    }


def chosen_start(raw: str | None) -> datetime:
    """The new time picked on a reschedule form (a UTC instant); a ValidationError on ``start`` otherwise."""
    start = parse_start(raw)
    if start is None:
        message = _("Choose one of the free times.")
        raise ValidationError(message, field_errors={"start": message})
    return start


def run_change(form: FlaskForm, action: Callable[[], Appointment]) -> int | None:
    """Validate ``form`` and run ``action``; None when done, else the status to show the page again with."""
    valid = form.validate_on_submit()
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        abort(400)
    if not valid:
        flash(_("Please correct the highlighted fields."), "error")
        return 422
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        show_errors(form, exc)
        db.session.expire_all()
        return exc.status
    return None
