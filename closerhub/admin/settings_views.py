"""``/admin/settings``: the platform settings, each change validated and audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import admin_required
from closerhub.admin.forms import settings_form_class, shown_value, stored_value
from closerhub.admin.views import bp
from closerhub.core.errors import DomainError
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.platform_settings import service
from closerhub.platform_settings.commands import SettingsChange


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> Response | tuple[str, int]:
    """Show the values in force (and which follow the environment); save the changed ones."""
    form_class = settings_form_class()
    current = service.all_settings(db.session)
    shown = {key: shown_value(key, value) for key, value in current.items()}
    form = form_class(data=shown) if request.method == "GET" else form_class()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            change = SettingsChange(**{key: stored_value(key, getattr(form, key).data) for key in service.SPECS})
            try:
                changed = service.update_settings(db.session, current_user, change, now=clock.utcnow())
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc, SettingsChange)
                status = exc.status
            else:
                if changed:
                    flash(_("Settings saved: %(keys)s.", keys=", ".join(sorted(changed))), "success")
                else:
                    flash(_("Nothing changed."), "info")
                return redirect(url_for("admin.settings"))
        else:
            flash(_("Please correct the highlighted fields."), "error")
            status = 422
    return render_template(
        "admin/settings.html",
        form=form,
        specs=service.SPECS,
        defaults={key: shown_value(key, service.default(key)) for key in service.SPECS},
        bounds={key: (shown_value(key, s.minimum), shown_value(key, s.maximum)) for key, s in service.SPECS.items()},
        overridden=service.overridden(db.session),
    ), status
