"""``/admin/audit``: browse and filter the audit trail; ``audit_history`` for any page's history partial."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import format_number
from flask_login import current_user
from sqlalchemy import func, select

from closerhub.accounts.permissions import admin_required
from closerhub.accounts.service import ids_matching
from closerhub.admin.views import PAGE_SIZE, bp, page_number
from closerhub.audit.models import AuditEntry
from closerhub.audit.service import ACTOR_MATCH_MAX, AuditFilter, action_names, entries_query, history
from closerhub.core.i18n import N_
from closerhub.extensions import db

FIELD_MAX = 100
COUNT_CAP = 1000  # the page counts at most this many rows; beyond, it says "more than 1,000"


def _capped_page(query: Any, page: int) -> tuple[list[AuditEntry], int, int | None, bool]:
    """One page of ``query``: (rows, total up to ``COUNT_CAP``, pages or None past the cap, has a next page).

    The trail only grows, so a ``count(*)`` of every matching row on each view would get slower
    forever; counting at most ``COUNT_CAP + 1`` ids bounds the work, and the next-page link
    comes from fetching one row more than the page shows.
    """
    capped = query.with_only_columns(AuditEntry.id).order_by(None).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    rows = list(db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    has_next = len(rows) > PAGE_SIZE
    pages = max(1, -(-total // PAGE_SIZE)) if total <= COUNT_CAP else None
    return rows[:PAGE_SIZE], total, pages, has_next


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
    actor = text["actor"]
    flt = AuditFilter(
        actor=actor or None,
        actor_ids=ids_matching(db.session, actor, ACTOR_MATCH_MAX) if actor and not actor.isdigit() else (),
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
    total, has_next = 0, False
    pages: int | None = 1
    if not errors:
        entries, total, pages, has_next = _capped_page(entries_query(flt), page)
    values = {**text, "date_from": request.args.get("date_from", ""), "date_to": request.args.get("date_to", "")}
    return render_template(
        "admin/audit.html",
        entries=entries,
        total=total,
        more_than=format_number(COUNT_CAP) if total > COUNT_CAP else None,
        page=page,
        pages=pages,
        has_next=has_next,
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
