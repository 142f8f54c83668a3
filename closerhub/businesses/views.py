"""Business pages: the organisation's profile and team (offers and engagements come later)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub.accounts.permissions import get_visible_or_404, login_required
from closerhub.businesses import service
from closerhub.businesses.forms import BusinessProfileForm
from closerhub.businesses.models import Business
from closerhub.core.errors import DomainError
from closerhub.core.tz import all_zones
from closerhub.extensions import db
from closerhub.forms_util import show_errors

bp = Blueprint("businesses", __name__, url_prefix="/businesses")


@bp.route("/<int:business_id>", methods=["GET", "POST"])
@login_required
def show(business_id: int) -> str | Response | tuple[str, int]:
    """The business's profile and team: members and admins only (others get a 404)."""
    business = get_visible_or_404(Business, business_id)
    form = BusinessProfileForm(obj=business)
    status = 200
    if form.is_submitted():
        if not business.can_edit(current_user):
            abort(403)
        if form.validate():
            try:
                service.update_business(
                    db.session,
                    current_user,
                    business,  # type: ignore[arg-type]
                    name=form.name.data,
                    website=form.website.data,
                    timezone=(form.timezone.data or "").strip(),
                    currency=form.currency.data,
                )
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
            else:
                flash(_("Business profile saved."), "success")
                return redirect(url_for("businesses.show", business_id=business.id))
        db.session.refresh(business)
        status = 422
    return render_template(
        "businesses/show.html",
        business=business,
        form=form,
        can_edit=business.can_edit(current_user),
        zones=sorted(all_zones()),
    ), status
