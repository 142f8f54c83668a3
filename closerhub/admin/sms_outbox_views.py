"""Admin SMS outbox: every text with its status (``stored`` without provider keys), newest first."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from closerhub.accounts.permissions import admin_required
from closerhub.admin.outbox_views import PAGE_SIZE, bp
from closerhub.extensions import db
from closerhub.notifications.sms_models import SmsMessage


@bp.get("/sms")
@admin_required
def sms_outbox() -> str:
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    query = select(SmsMessage).order_by(SmsMessage.id.desc())
    total = db.session.scalar(select(func.count()).select_from(SmsMessage)) or 0
    texts = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "notifications/sms_outbox.html", texts=texts, page=page, total=total, pages=max(1, -(-total // PAGE_SIZE))
    )
