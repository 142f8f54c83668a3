"""Admin console: the users desk (search, detail, suspend/reactivate).

Every page here is for admins only (``admin_required``: anonymous → login, others → 403).
The audit trail, vetting queue and platform settings pages register on the same
blueprint from their own modules (imported at the bottom).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Table, func, or_, select
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts import verification
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.accounts.permissions import admin_required
from closerhub.admin import users as users_service
from closerhub.admin.forms import ReasonForm
from closerhub.audit.service import entries_by_actor_or_object
from closerhub.booking.models import Appointment
from closerhub.closers.models import CloserProfile
from closerhub.core.errors import DomainError, NotFound
from closerhub.core.i18n import N_
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.vetting.service import vetting_for

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET inside the database's integer range
SECTION_LIMIT = 50
# Sections of the user page that appear once their feature's tables exist (outcomes, money);
# the template translates the label.
OPTIONAL_SECTIONS = (("outcomes", N_("Outcomes")), ("ledger_entries", N_("Ledger")))


def page_number() -> int:
    """``?page=`` clamped to 1..MAX_PAGE (a huge or bad number is not a 500)."""
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def paginate(query: Any, page: int) -> tuple[list[Any], int, int]:
    """One page of ``query``: (rows, total, pages)."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return rows, total, max(1, -(-total // PAGE_SIZE))


@bp.get("/")
@bp.get("/users")
@admin_required
def index() -> str:
    """Every user, filterable by role, status and a search on name or email."""
    flt = users_service.UserFilter(
        q=(request.args.get("q") or "").strip()[: users_service.Q_MAX],
        role=request.args.get("role") or "",
        status=request.args.get("status") or "",
    )
    page = page_number()
    users, total, pages = paginate(users_service.users_query(flt), page)
    return render_template(
        "admin/index.html",
        users=users,
        q=flt.q,
        role=flt.role,
        status=flt.status,
        page=page,
        total=total,
        pages=pages,
        roles=[r.value for r in Role],
        statuses=[s.value for s in AccountStatus],
    )


def _user_or_404(user_id: int) -> User:
    try:
        return users_service.find_user(db.session, user_id)
    except NotFound:
        abort(404)


def _table_rows(name: str, user: User) -> tuple[list[str], Sequence[Any]] | None:
    """Rows of an optional feature table about ``user`` (by closer_id or business_id), or None without the table."""
    table: Table | None = db.metadata.tables.get(name)
    if table is None:
        return None
    conditions = []
    if "closer_id" in table.c:
        conditions.append(table.c.closer_id == user.id)
    if "business_id" in table.c and user.business_id is not None:
        conditions.append(table.c.business_id == user.business_id)
    if not conditions:
        return None
    order = table.c.id.desc() if "id" in table.c else None
    rows = db.session.execute(select(table).where(or_(*conditions)).order_by(order).limit(SECTION_LIMIT)).all()
    return [c.name for c in table.columns], rows


@bp.get("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int) -> str:
    """One user: profile, vetting, engagements, appointments, outcomes, ledger, and their audit history."""
    user = _user_or_404(user_id)
    who = [Engagement.closer_id == user.id]
    calls = [Appointment.closer_id == user.id]
    if user.business_id is not None:
        who.append(Engagement.business_id == user.business_id)
        calls.append(Appointment.business_id == user.business_id)
    engagements = list(
        db.session.scalars(select(Engagement).where(or_(*who)).order_by(Engagement.id.desc()).limit(SECTION_LIMIT))
    )
    appointments = list(
        db.session.scalars(
            select(Appointment).where(or_(*calls)).order_by(Appointment.starts_at.desc()).limit(SECTION_LIMIT)
        )
    )
    profile = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == user.id))
    sections = [(label, _table_rows(name, user)) for name, label in OPTIONAL_SECTIONS]
    return render_template(
        "admin/user.html",
        user=user,
        profile=profile,
        vetting=vetting_for(db.session, user.id) if user.is_closer else None,
        engagements=engagements,
        appointments=appointments,
        sections=[(label, rows) for label, rows in sections if rows is not None],
        history=entries_by_actor_or_object(db.session, user.id),
    )


@bp.post("/users/<int:user_id>/resend-verification")
@admin_required
def resend_verification(user_id: int) -> Response:
    """Send the user a fresh email verification link (audited); refused when already verified or suspended."""
    user = _user_or_404(user_id)
    try:
        verification.resend_verification(db.session, user, actor=current_user, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("A new verification link has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _status_change(user_id: int, action: str) -> Response | tuple[str, int]:
    """GET: the confirmation page with the reason field. POST (with ``confirm``): do it."""
    user = _user_or_404(user_id)
    form = ReasonForm()
    status = 200
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            form.form_errors.append(_("Confirm on this page to go ahead."))
            status = 422
        elif form.validate_on_submit():
            try:
                if action == "suspend":
                    done: users_service.Suspension | User = users_service.suspend(
                        db.session,
                        current_user,
                        user.id,
                        form.reason.data,
                        now=clock.utcnow(),
                    )
                else:
                    done = users_service.reactivate(
                        db.session, current_user, user.id, form.reason.data, now=clock.utcnow()
                    )
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
                status = exc.status
            else:
                if isinstance(done, users_service.Suspension) and done.calls:
                    # What became of each call (reassigned to whom, or cancelled): shown once, here.
                    flash(_("%(name)s is suspended.") % {"name": user.name}, "success")
                    return render_template("admin/suspension_done.html", user=user, calls=done.calls), 200
                message = _("%(name)s is suspended.") if action == "suspend" else _("%(name)s is active again.")
                flash(message % {"name": user.name}, "success")
                return redirect(url_for("admin.user_detail", user_id=user.id))
        else:
            flash(_("Please correct the highlighted fields."), "error")
            status = 422
    future = users_service.future_appointments(db.session, user, clock.utcnow()) if user.is_closer else []
    return render_template(
        "admin/confirm_status.html", user=user, form=form, action=action, future_appointments=future
    ), status


@bp.route("/users/<int:user_id>/suspend", methods=["GET", "POST"])
@admin_required
def suspend(user_id: int) -> Response | tuple[str, int]:
    """Suspend an account: a confirmation page with a mandatory reason, then the change."""
    return _status_change(user_id, "suspend")


@bp.route("/users/<int:user_id>/reactivate", methods=["GET", "POST"])
@admin_required
def reactivate(user_id: int) -> Response | tuple[str, int]:
    """Reactivate a suspended account (confirmation page, mandatory reason)."""
    return _status_change(user_id, "reactivate")
