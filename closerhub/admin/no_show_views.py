"""``/admin/no-shows``: the queue of closer no-show reports and an admin's review of one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import admin_required
from closerhub.admin.views import bp as admin_bp
from closerhub.admin.views import page_number, paginate
from closerhub.booking.attendance import no_shows
from closerhub.booking.forms import NoShowReviewForm
from closerhub.core.errors import DomainError
from closerhub.extensions import db


@admin_bp.get("/no-shows")
@admin_required
def no_show_queue() -> str:
    """Closer no-show reports waiting for review, oldest first."""
    page = page_number()
    rows, total, pages = paginate(no_shows.pending_query(), page)
    return render_template(
        "admin/no_shows.html", rows=rows, total=total, page=page, pages=pages, form=NoShowReviewForm(formdata=None)
    )


@admin_bp.post("/no-shows/<int:report_id>")
@admin_required
def no_show_review(report_id: int) -> Response | tuple[str, int]:
    """Confirm or reject one report (the button pressed is ``decision``)."""
    form = NoShowReviewForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return redirect(url_for("admin.no_show_queue"))
    try:
        row = no_shows.review(
            db.session,
            current_user,
            report_id,
            request.form.get("decision"),
            note=form.note.data,
            now=clock.utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("admin.no_show_queue"))
    flash(_("Report %(status)s.", status=_(row.status.value)), "success")
    return redirect(url_for("admin.no_show_queue"))
