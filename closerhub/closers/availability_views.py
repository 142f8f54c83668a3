"""The closer's availability page: weekly hours, date overrides, time off, and a two-week preview.

Every form posts back the closer's *whole* availability through
``availability_service.replace_availability`` (the same function as the API's PUT): an
``AvailabilityChange``, the stored one (``stored_availability``) with the form's part changed,
so the rules are checked in one place. The errors of the item a form adds go to that form's
fields by the item's ``form_names`` (``item_errors``); the weekly table puts each error beside
its row.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import closer_required
from closerhub.closers import availability_service as availability
from closerhub.closers.commands import AvailabilityChange, DayOverride, TimeOffPeriod, WeeklyWindow, item_errors
from closerhub.closers.forms import (
    AvailabilitySettingsForm,
    OverrideForm,
    TimeOffForm,
    weekly_rows,
    weekly_rows_from,
)
from closerhub.closers.views import bp
from closerhub.core.availability import WEEKDAY_NAMES, time_off_for_dates
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.tz import is_valid_zone, to_local, utc_offset_label
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.i18n import zone_options

DEFAULT_VIEWER_ZONE = "America/New_York"
_KEY = re.compile(r"^(weekly|overrides|time_off)\[(\d+)\](?:\.(.*))?$")


def _me() -> User:
    return current_user


def _viewer_zone() -> tuple[str, str | None]:
    """The zone of the preview's second column (``?viewer_zone=``) and an error if it was unknown."""
    zone = (request.values.get("viewer_zone") or DEFAULT_VIEWER_ZONE).strip()
    if is_valid_zone(zone):
        return zone, None
    return DEFAULT_VIEWER_ZONE, _(
        "Unknown time zone %(zone)s; showing %(default)s.", zone=zone, default=DEFAULT_VIEWER_ZONE
    )


def preview(user: User, viewer_zone: str) -> list[dict[str, Any]]:
    """The next two weeks of free slots, grouped by the closer's local date, each also in ``viewer_zone``."""
    now = clock.utcnow()
    first, last = availability.preview_dates(user, now)
    slots = availability.slots_for_dates(
        db.session, user, viewer_zone=user.timezone, from_date=first, to_date=last, now=now
    )
    days: dict[date, dict[str, Any]] = {}
    for slot in slots:
        mine, theirs = to_local(slot.start, user.timezone), to_local(slot.start, viewer_zone)
        day = days.setdefault(mine.date(), {"label": format_date(mine.date(), "EEEE d MMMM"), "slots": []})
        day["slots"].append(
            {
                "start": slot.start,
                "end": slot.end,
                "mine": f"{mine:%H:%M}–{to_local(slot.end, user.timezone):%H:%M}",
                "theirs_day": format_date(theirs.date(), "EEE d MMM"),
                "theirs": f"{theirs:%H:%M}",
                "theirs_offset": utc_offset_label(slot.start, viewer_zone),
            }
        )
    return list(days.values())


def _page(
    status: int = 200,
    *,
    settings_form: AvailabilitySettingsForm | None = None,
    weekly: list[list[dict[str, str]]] | None = None,
    weekly_errors: dict[tuple[int, int], list[str]] | None = None,
    override_form: OverrideForm | None = None,
    time_off_form: TimeOffForm | None = None,
) -> tuple[str, int]:
    user = _me()
    data = availability.availability_data(db.session, user)
    if settings_form is None:
        settings_form = AvailabilitySettingsForm(formdata=None, data=data)
    viewer_zone, zone_error = _viewer_zone()
    now = clock.utcnow()
    return render_template(
        "closers/availability.html",
        data=data,
        settings_form=settings_form,
        weekly=weekly if weekly is not None else weekly_rows_from(data["weekly"]),
        weekly_errors=weekly_errors or {},
        weekdays=WEEKDAY_NAMES,
        override_form=override_form or OverrideForm(formdata=None),
        time_off_form=time_off_form or TimeOffForm(formdata=None),
        preview_days=preview(user, viewer_zone),
        viewer_zone=viewer_zone,
        zone_error=zone_error,
        closer_offset=utc_offset_label(now, user.timezone),
        viewer_offset=utc_offset_label(now, viewer_zone),
        zones=zone_options(clock.utcnow()),
        today=to_local(now, user.timezone).date(),
    ), status


def _back() -> Response:
    zone = request.values.get("viewer_zone")
    return redirect(url_for("closers.availability_page", viewer_zone=zone or None))


def _describe(key: str, message: str, stored: AvailabilityChange) -> str:
    """A readable line for an error about an item the form does not show as a field."""
    match = _KEY.match(key)
    if match and match.group(1) == "overrides" and int(match.group(2)) < len(stored.overrides):
        return _("%(date)s: %(message)s", date=stored.overrides[int(match.group(2))].date, message=message)
    return message


@bp.get("/me/availability")
@closer_required
def availability_page() -> tuple[str, int]:
    """The editor and the preview ("what a prospect in New York sees": ``?viewer_zone=``)."""
    return _page()


@bp.post("/me/availability")
@closer_required
def save_weekly() -> Response | tuple[str, int]:
    """Save the settings and the weekly table together; an "add interval" button only adds a row."""
    form = AvailabilitySettingsForm()
    add = request.form.get("add_row")
    rows = weekly_rows(request.form, add_row=int(add) if add and add.isdigit() else None)
    if add is not None:
        return _page(settings_form=form, weekly=rows)
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _page(422, settings_form=form, weekly=rows)
    weekly, positions = [], []
    for weekday, day_rows in enumerate(rows):
        for i, row in enumerate(day_rows):
            if row["start"] or row["end"]:
                weekly.append(WeeklyWindow(weekday, row["start"], row["end"]))
                positions.append((weekday, i))
    stored = availability.stored_availability(db.session, _me())
    change = replace(form.command(), weekly=tuple(weekly), overrides=stored.overrides)
    try:
        availability.replace_availability(db.session, _me(), change, now=clock.utcnow())
    except ValidationError as exc:
        db.session.rollback()
        weekly_errors: dict[tuple[int, int], list[str]] = {}
        other: dict[str, str] = {}
        for key, message in exc.field_errors.items():
            match = _KEY.match(key)
            if match and match.group(1) == "weekly":
                weekly_errors.setdefault(positions[int(match.group(2))], []).append(message)
            elif hasattr(form, key):
                other[key] = message
            else:
                other[key] = _describe(key, message, stored)
        show_errors(form, ValidationError(exc.message, field_errors=other))
        return _page(422, settings_form=form, weekly=rows, weekly_errors=weekly_errors)
    flash(_("Availability saved."), "success")
    return _back()


@bp.post("/me/availability/overrides")
@closer_required
def add_override() -> Response | tuple[str, int]:
    """Add a date with other hours, or a day off."""
    form = OverrideForm()
    if not form.validate_on_submit():
        return _page(422, override_form=form)
    stored = availability.stored_availability(db.session, _me())
    try:
        change = replace(stored, overrides=(*stored.overrides, form.command()), time_off=None)
        availability.replace_availability(db.session, _me(), change, now=clock.utcnow())
    except ValidationError as exc:
        db.session.rollback()
        show_errors(form, item_errors(exc, f"overrides[{len(stored.overrides)}]", DayOverride))
        return _page(422, override_form=form)
    flash(_("Date saved."), "success")
    return _back()


@bp.post("/me/availability/overrides/<day>/delete")
@closer_required
def delete_override(day: str) -> Response:
    stored = availability.stored_availability(db.session, _me())
    kept = tuple(o for o in stored.overrides if o.date != day)
    if len(kept) == len(stored.overrides):
        abort(404)
    _replace_or_flash(replace(stored, overrides=kept, time_off=None))
    return _back()


@bp.post("/me/availability/time-off")
@closer_required
def add_time_off() -> Response | tuple[str, int]:
    """Add days off, as local dates in the closer's zone (first and last day included)."""
    form = TimeOffForm()
    if not form.validate_on_submit():
        return _page(422, time_off_form=form)
    user = _me()
    stored = availability.stored_availability(db.session, user)
    kept = stored.time_off or ()
    try:
        first, last = _date(form.first_day.data, "first_day"), _date(form.last_day.data, "last_day")
        try:
            off = time_off_for_dates(user.timezone, first, last)
        except ValidationError as exc:
            raise ValidationError(exc.message, field_errors={"last_day": exc.message}) from None
        added = TimeOffPeriod(off.start, off.end, form.reason.data or "")
        availability.replace_availability(
            db.session, user, replace(stored, time_off=(*kept, added)), now=clock.utcnow()
        )
    except ValidationError as exc:
        db.session.rollback()
        show_errors(form, item_errors(exc, f"time_off[{len(kept)}]", TimeOffPeriod))
        return _page(422, time_off_form=form)
    flash(_("Time off saved."), "success")
    return _back()


@bp.post("/me/availability/time-off/<int:time_off_id>/delete")
@closer_required
def delete_time_off(time_off_id: int) -> Response:
    data = availability.availability_data(db.session, _me())
    kept = tuple(TimeOffPeriod(t["start"], t["end"], t["reason"]) for t in data["time_off"] if t["id"] != time_off_id)
    if len(kept) == len(data["time_off"]):
        abort(404)
    _replace_or_flash(replace(availability.stored_availability(db.session, _me()), time_off=kept))
    return _back()


def _replace_or_flash(change: AvailabilityChange) -> None:
    try:
        availability.replace_availability(db.session, _me(), change, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Removed."), "success")


def _date(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        message = _("Use a date as YYYY-MM-DD.")
        raise ValidationError(message, field_errors={field: message}) from None
