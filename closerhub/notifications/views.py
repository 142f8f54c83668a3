"""Stub: replaced by the notifications helper."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/admin/outbox")


@bp.get("/")
def outbox() -> str:
    return "outbox"
