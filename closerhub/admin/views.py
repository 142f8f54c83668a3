"""Admin console (issue 7 grows it): for now, the list of users."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from closerhub.accounts.models import Role, User
from closerhub.accounts.permissions import admin_required
from closerhub.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET inside the database's integer range


@bp.get("/")
@admin_required
def index() -> str:
    """Every user, filterable by role and a search on name or email."""
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or ""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if q:
        needle = q.lower()
        query = query.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.name).contains(needle, autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/index.html",
        users=users,
        q=q,
        role=role,
        page=page,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        roles=[r.value for r in Role],
    )
