"""Public pages, the per-role dashboard, the language switch and the health check."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import login_required
from closerhub.accounts.views import _safe_next
from closerhub.extensions import db
from closerhub.pages import dashboard as board
from closerhub.payments.ledger.service import balances  # one grouped query, the closer's own
from closerhub.web_errors import UNAVAILABLE

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    return render_template("pages/index.html")


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    template = {
        "closer": "pages/dashboard_closer.html",
        "business": "pages/dashboard_business.html",
        "admin": "pages/dashboard_admin.html",
    }[current_user.role.value]
    now = clock.utcnow()
    context: dict[str, Any] = {"now": now}
    if current_user.is_closer:
        context["balances"] = balances(db.session, current_user.id)
        context["steps"] = board.closer_steps(db.session, current_user)
        context.update(board.closer_calls(db.session, current_user, now))
    elif current_user.is_business and current_user.membership is not None:
        business = current_user.membership.business
        context["steps"] = board.business_steps(db.session, business)
        context["booking_offers"] = board.booking_links(db.session, business)
    elif current_user.is_admin:
        context["queues"] = board.admin_queues(db.session)
        context["figures"] = board.platform_figures(db.session, now)
    return render_template(template, **context)


@bp.post("/language/<lang>")
def set_language(lang: str) -> Response:
    """Anonymous visitors pick a language here (logged-in users set it in their account)."""
    if lang in ("en", "fr"):
        session["lang"] = lang
        if current_user.is_authenticated and current_user.language != lang:
            current_user.language = lang
            db.session.commit()
    target = request.form.get("next") or request.args.get("next")
    return redirect(_safe_next(target, default="pages.index") if target else url_for("pages.index"))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness plus a real round trip to the database (503 when it is unreachable)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the database is not usable
        with suppress(SQLAlchemyError):  # a lost connection has nothing to roll back
            db.session.rollback()
        response = jsonify(status="degraded", database="unreachable")
        response.headers["Retry-After"] = str(UNAVAILABLE.retry_after_seconds)
        return response, 503
    return jsonify(status="ok", database="ok"), 200
