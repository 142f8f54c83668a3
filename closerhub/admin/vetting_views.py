"""``/admin/vetting``: the queue of closers to review, and one closer's review page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import Role, User
from closerhub.accounts.permissions import admin_required
from closerhub.admin.forms import VettingForm
from closerhub.admin.views import bp, page_number, paginate
from closerhub.closers.models import CloserProfile
from closerhub.core.errors import DomainError
from closerhub.core.i18n import N_
from closerhub.db import get_by_id
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.vetting import service
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST, VettingStatus

DECISION_LABELS = {"approve": N_("approved"), "request_changes": N_("asked for changes"), "reject": N_("rejected")}


@bp.get("/vetting")
@admin_required
def vetting_queue() -> str:
    """Closers waiting for review (oldest first); ``?status=`` shows another state, ``all`` every closer."""
    raw = request.args.get("status", VettingStatus.IN_REVIEW.value)
    status = VettingStatus(raw) if raw in {s.value for s in VettingStatus} else None
    page = page_number()
    rows, total, pages = paginate(service.queue_query(status), page)
    return render_template(
        "admin/vetting.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        status=status.value if status else "all",
        statuses=[s.value for s in VettingStatus],
    )


def _closer_or_404(closer_id: int) -> User:
    user = get_by_id(db.session, User, closer_id)
    if user is None or user.role != Role.CLOSER:
        abort(404)
    return user


@bp.route("/vetting/<int:closer_id>", methods=["GET", "POST"])
@admin_required
def vetting_review(closer_id: int) -> Response | tuple[str, int]:
    """The closer's profile beside the checklist; the button pressed (``decision``) is the decision."""
    closer = _closer_or_404(closer_id)
    row = service.vetting_for(db.session, closer.id)
    if request.method == "GET":
        form = VettingForm(data={item: getattr(row, item) for item in CHECKLIST} | {"notes": row.notes or ""})
    else:
        form = VettingForm()
    status = 200
    if request.method == "POST":
        decision = request.form.get("decision", "")
        if form.validate_on_submit():
            try:
                service.decide(db.session, current_user, closer.id, form.decision(decision), now=clock.utcnow())
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc, VettingDecision)
                status = exc.status
            else:
                flash(
                    _(
                        "%(name)s: %(what)s. They have been emailed.",
                        name=closer.name,
                        what=_(DECISION_LABELS[decision]),
                    ),
                    "success",
                )
                return redirect(url_for("admin.vetting_queue"))
        else:
            flash(_("Please correct the highlighted fields."), "error")
            status = 422
    profile = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == closer.id))
    return render_template("admin/vetting_review.html", closer=closer, profile=profile, vetting=row, form=form), status
