"""The closer's Calendars page: connect, choose calendars, sync now, remove, and the fail-closed setting.

Every action calls ``calendars.service`` / ``calendars.sync`` (the same functions as the API).
Adding a connection reads it at once, so the closer sees right away whether the address
and password work.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import admin_required, closer_required
from closerhub.calendars import service, sync
from closerhub.calendars.commands import CalendarChoice, NewConnection
from closerhub.calendars.forms import ActionForm, ConnectionForm, KeepOfferingForm
from closerhub.calendars.models import ConnectionStatus
from closerhub.core.errors import DomainError
from closerhub.extensions import db
from closerhub.forms_util import show_errors

bp = Blueprint("calendars", __name__, url_prefix="/calendars")


def _me() -> User:
    return current_user


def _page(form: ConnectionForm | None = None, status: int = 200) -> tuple[str, int]:
    me, now = _me(), clock.utcnow()
    connections = service.list_connections(db.session, me)
    keep = service.keeps_offering(db.session, me)
    return render_template(
        "calendars/index.html",
        form=form or ConnectionForm(),
        action_form=ActionForm(),
        keep_form=KeepOfferingForm(keep_offering=keep),
        connections=connections,
        closed=service.fails_closed(connections, now) if not keep else [],
        keep_offering=keep,
        threshold_minutes=int(sync.fail_closed_after().total_seconds() // 60),
        statuses=ConnectionStatus,
        write_problems=service.write_problems(db.session, [c.id for c in connections]),
    ), status


@bp.app_template_global("calendar_alerts")
def calendar_alerts(user: User) -> list[service.CalendarAlert]:
    """Dashboards: the closer's own connections in error, or every closer's for an admin (one query)."""
    if user.is_closer:
        return service.alerts(db.session, clock.utcnow(), closer=user)
    return service.alerts(db.session, clock.utcnow())


@bp.get("/admin")
@admin_required
def admin_index() -> str:
    """Admins: every connection that cannot be read, those hiding a closer's slots first."""
    return render_template("calendars/admin.html", alerts=service.alerts(db.session, clock.utcnow(), limit=500))


@bp.get("/")
@closer_required
def index() -> tuple[str, int]:
    """The closer's connections with their state, and the form to add one."""
    return _page()


@bp.post("/")
@closer_required
def add() -> Response | tuple[str, int]:
    """Add a connection and read it now; bad input shows the form again with the error beside its field."""
    form = ConnectionForm()
    if not form.validate_on_submit():
        form.form_errors.append(_("The form expired; please send it again."))
        return _page(form, 400)
    try:
        connection = service.add_connection(db.session, _me(), form.command(), now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc, NewConnection)
        return _page(form, 422)
    synced = sync.sync_connection(db.session, connection.id, clock.utcnow())
    if synced is not None and synced.status == ConnectionStatus.OK:
        flash(_("Calendar connected: its busy times now block your slots."), "success")
    else:
        flash(_("The calendar was added but could not be read: see the error below."), "error")
    return redirect(url_for(".index"))


@bp.post("/<int:connection_id>/sync")
@closer_required
def sync_now(connection_id: int) -> Response:
    """Read one connection now."""
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please send it again."), "error")
        return redirect(url_for(".index"))
    connection = service.get_connection(db.session, _me(), connection_id)
    synced = sync.sync_connection(db.session, connection.id, clock.utcnow())
    if synced is not None and synced.status == ConnectionStatus.OK:
        flash(_("Calendar read."), "success")
    else:
        flash(_("The calendar could not be read: see the error below."), "error")
    return redirect(url_for(".index"))


@bp.post("/<int:connection_id>/delete")
@closer_required
def delete(connection_id: int) -> Response:
    """Remove a connection, its password and its busy time."""
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please send it again."), "error")
        return redirect(url_for(".index"))
    service.delete_connection(db.session, _me(), connection_id, now=clock.utcnow())
    flash(_("Calendar removed."), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:connection_id>/calendars")
@closer_required
def choose(connection_id: int) -> Response:
    """Which calendars count as busy and which one receives bookings; then read again."""
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please send it again."), "error")
        return redirect(url_for(".index"))
    try:
        service.choose_calendars(db.session, _me(), connection_id, _calendar_choice(), now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    sync.sync_connection(db.session, connection_id, clock.utcnow())
    flash(_("Your choice of calendars is saved."), "success")
    return redirect(url_for(".index"))


def _calendar_choice() -> CalendarChoice:
    """The checked ``busy`` calendars and the ``write`` one of the posted form (anything not an id is ignored)."""
    write = request.form.get("write", "")
    return CalendarChoice(
        busy_ids=frozenset(int(v) for v in request.form.getlist("busy") if v.isdigit()),
        write_id=int(write) if write.isdigit() else None,
    )


@bp.post("/keep-offering")
@closer_required
def keep_offering() -> Response:
    """Change the fail-closed setting."""
    form = KeepOfferingForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please send it again."), "error")
        return redirect(url_for(".index"))
    service.set_keep_offering(db.session, _me(), bool(form.keep_offering.data), now=clock.utcnow())
    flash(_("Setting saved."), "success")
    return redirect(url_for(".index"))
