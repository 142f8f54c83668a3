"""The closer's side of vetting: ask for a new review; ``closer_vetting`` for templates (badge, dashboard)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import closer_required
from closerhub.core.errors import Conflict
from closerhub.extensions import db
from closerhub.forms_util import ActionForm
from closerhub.vetting import service
from closerhub.vetting.models import CloserVetting, VettingStatus

bp = Blueprint("vetting", __name__, url_prefix="/vetting")


LABELS = {
    VettingStatus.IN_REVIEW.value: _l("in review"),
    VettingStatus.APPROVED.value: _l("verified"),
    VettingStatus.CHANGES_REQUESTED.value: _l("changes requested"),
    VettingStatus.REJECTED.value: _l("not accepted"),
}


@bp.app_template_filter("vetting_label")
def vetting_label(status: object) -> str:
    """A vetting status as people read it (``in_review`` → "in review"), translated."""
    value = getattr(status, "value", status)
    return str(LABELS.get(str(value), str(value).replace("_", " ")))


@bp.app_template_global("closer_vetting")
def closer_vetting(closer_id: int) -> CloserVetting:
    """The closer's review state (an unsaved in-review one when missing), for badges and the dashboard."""
    return service.vetting_for(db.session, closer_id)


@bp.post("/resubmit")
@closer_required
def resubmit() -> Response:
    """After changes were requested and made, the closer asks for a new review."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("pages.dashboard"))
    try:
        service.resubmit(db.session, current_user, now=clock.utcnow())
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Thank you: your profile is back in the review queue."), "success")
    return redirect(url_for("pages.dashboard"))
