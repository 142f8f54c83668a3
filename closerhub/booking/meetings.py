"""A call's meeting place: the closer's video room or phone, as a booking sets it."""

from __future__ import annotations

import secrets

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.booking.closer_facts import CloserFacts
from closerhub.closers.models import CloserProfile, MeetingMode

DEFAULT_VIDEO_ROOM_BASE_URL = "https://meet.closerhub.app"


def _meeting(session: Session, closer_id: int, facts: dict[int, CloserFacts]) -> str:
    """The call's video link: the closer's own room, or a new unique one on the platform's video service."""
    if closer_id in facts:
        mode, url = facts[closer_id].meeting_mode, facts[closer_id].meeting_url
    else:
        mode, url = session.execute(
            select(CloserProfile.meeting_mode, CloserProfile.meeting_url).where(CloserProfile.user_id == closer_id)
        ).one_or_none() or (None, None)
    if mode == MeetingMode.OWN_URL and url:
        return url
    base = DEFAULT_VIDEO_ROOM_BASE_URL
    if has_app_context():
        base = current_app.config.get("VIDEO_ROOM_BASE_URL") or base
    return f"{base.rstrip('/')}/{secrets.token_urlsafe(16)}"


def meeting_link(session: Session, closer_id: int, *, keep: str | None = None) -> str:
    """The video link of a call moving to ``closer_id``: their own room if they use one, else ``keep``
    when it is a room generated on the platform's video service (the prospect already has it),
    else a new generated room (the previous closer's own room is theirs, not the call's)."""
    link = _meeting(session, closer_id, {})
    base = DEFAULT_VIDEO_ROOM_BASE_URL
    if has_app_context():
        base = current_app.config.get("VIDEO_ROOM_BASE_URL") or base
    generated = link.startswith(base.rstrip("/") + "/")
    if generated and keep and keep.startswith(base.rstrip("/") + "/"):
        return keep
    return link
