"""``/admin/audit``: browse and filter the audit trail; ``audit_history`` for any page's history partial."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import current_user

from closerhub.accounts.permissions import admin_required
from closerhub.admin.views import bp, page_number, paginate
from closerhub.audit.models import AuditEntry
from closerhub.audit.service import AuditFilter, action_names, entries_query, history
from closerhub.core.i18n import N_
from closerhub.extensions import db

FIELD_MAX = 100


def _date(name: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = N_("Use a date such as 2026-12-31.")  # translated by the template
        return None


@bp.get("/audit")
@admin_required
def audit() -> tuple[str, int]:
    """Every audit row, newest first, filtered by actor, action, object and UTC dates."""
    errors: dict[str, str] = {}
    text = {k: (request.args.get(k) or "").strip()[:FIELD_MAX] for k in ("actor", "action", "object_type", "object_id")}
    flt = AuditFilter(
        actor=text["actor"] or None,
        action=text["action"] or None,
        object_type=text["object_type"] or None,
        object_id=text["object_id"] or None,
        date_from=_date("date_from", errors),
        date_to=_date("date_to", errors),
    )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        errors["date_to"] = N_("The end date is before the start date.")
    page = page_number()
    entries: list[AuditEntry] = []
    total, pages = 0, 1
    if not errors:
        entries, total, pages = paginate(entries_query(flt), page)
    values = {**text, "date_from": request.args.get("date_from", ""), "date_to": request.args.get("date_to", "")}
    return render_template(
        "admin/audit.html",
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        values=values,
        errors=errors,
        actions=action_names(db.session),
    ), (422 if errors else 200)


@bp.app_template_global("audit_history")
def audit_history(object_type: str, object_id: object, limit: int = 20) -> list[AuditEntry]:
    """An object's latest audit rows for ``templates/admin/_history.html`` (empty unless the viewer is an admin)."""
    if not (current_user.is_authenticated and current_user.is_admin):
        return []
    return history(db.session, (object_type, object_id), limit=limit)
