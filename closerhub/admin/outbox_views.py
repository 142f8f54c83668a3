"""Admin outbox: every email with its delivery status, one message in full, retry a failed one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts.permissions import admin_required
from closerhub.core.errors import Conflict, NotFound
from closerhub.extensions import db
from closerhub.notifications import delivery
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage, OutboxStatus

bp = Blueprint("notifications", __name__, url_prefix="/admin/outbox")

PAGE_SIZE = 50

# The stored HTML body is untrusted (it holds user-supplied names): it is only ever served from
# its own URL, into a sandboxed frame, under a policy that forbids scripts, forms, plugins and
# remote loads (a remote image would tell a tracker that an admin opened the message).
PREVIEW_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


@bp.get("")
@admin_required
def outbox() -> str:
    """Messages newest first, filterable by status and by a search on the recipient."""
    status = request.args.get("status") or ""
    q = (request.args.get("q") or "").strip()[:254]
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)  # OFFSET stays in range
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    else:
        status = ""
    if q:
        query = query.where(func.lower(OutboxMessage.to_address).contains(q.lower(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    messages = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    counts = dict(db.session.execute(by_status).tuples().all())
    return render_template(
        "notifications/outbox.html",
        messages=messages,
        status=status,
        q=q,
        page=page,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        statuses=list(OutboxStatus),
        counts=counts,
    )


def _get_or_404(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return message


def _attachment_rows(message: OutboxMessage) -> list[dict[str, Any]]:
    rows = []
    for data in message.attachments or []:
        try:
            item = Attachment.from_json(data)
            size: int | None = len(item.content.encode() if isinstance(item.content, str) else item.content)
        except (KeyError, ValueError):
            size = None  # shown as unreadable rather than failing the page
        rows.append(
            {
                "filename": data.get("filename", "?"),
                "content_type": data.get("content_type", "?"),
                "size": size,
            }
        )
    return rows


@bp.get("/<int:message_id>")
@admin_required
def message(message_id: int) -> str:
    """One message: its headers, delivery state, text body and a sandboxed preview of the HTML body."""
    msg = _get_or_404(message_id)
    return render_template("notifications/message.html", m=msg, attachments=_attachment_rows(msg))


@bp.get("/<int:message_id>/html")
@admin_required
def message_html(message_id: int) -> Response:
    """The HTML body as the recipient sees it, for the preview frame only (see ``PREVIEW_CSP``)."""
    msg = _get_or_404(message_id)
    response = Response(msg.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:message_id>/retry")
@admin_required
def retry(message_id: int) -> ResponseReturnValue:
    """Queue a failed message again, with a fresh set of attempts."""
    try:
        delivery.retry_message(db.session, message_id, clock.utcnow())
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        flash(_("The message is queued again."), "success")
    return redirect(url_for(".message", message_id=message_id))
