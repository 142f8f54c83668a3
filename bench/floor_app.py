"""The real app plus one bench-only route: the least database work any booking must do (``--floor``).

``POST /bench/floor/appointments`` takes the same body as ``POST /api/v1/appointments`` and
does only what no implementation of a booking on this schema can skip, with prebuilt Core
statements (no ORM, each compiled once): the token's owner, the engagement and its closer
locked, the closer's calls around the start, the lead upserted, the appointment, its history
event and one outbox row inserted, one commit. No validation, rules, routing, search summary,
audit entry or response model. Served beside the real endpoints by the same gunicorn workers, it
measures the ceiling of the booking/healthz share on this stack and machine (bench/README.md).

``POST /bench/floor-cte/appointments`` is the same with the four writes sent as one
statement (PostgreSQL's data-modifying CTEs): the fewest round trips a booking can make.

    gunicorn bench.floor_app:app     # bench/booking.py --floor starts it
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Response, abort, request
from sqlalchemy import bindparam, insert, select, text

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.tokens import ApiToken, hash_secret
from closerhub.booking.models import Appointment, AppointmentEvent
from closerhub.engagements.models import Engagement
from closerhub.extensions import csrf, db
from closerhub.notifications.models import OutboxMessage
from wsgi import app

_OWNER = (
    select(ApiToken.user_id)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.status == "active")
)
_LOCKED_ENGAGEMENT = (
    select(Engagement.business_id, Engagement.offer_id, Engagement.closer_id)
    .join(User, User.id == Engagement.closer_id)
    .where(Engagement.id == bindparam("engagement_id"), Engagement.status == "active")
    .with_for_update(of=(Engagement, User), key_share=True)
)
_BUSY = select(Appointment.starts_at, Appointment.blocked_until).where(
    Appointment.closer_id == bindparam("closer_id"),
    Appointment.status == "booked",
    Appointment.starts_at < bindparam("until"),
    Appointment.blocked_until > bindparam("since"),
)
_LEAD = text(
    "INSERT INTO leads (business_id, name, email, timezone, language, needs, motivations, blockers, budget,"
    " decision_makers, notes, source, created_at, updated_at) VALUES (:business_id, :name, :email, :timezone, 'en',"
    " :needs, '', '', :budget, '', '', '', :now, :now) ON CONFLICT (business_id, email) DO UPDATE SET"
    " name = excluded.name, timezone = excluded.timezone, updated_at = excluded.updated_at RETURNING id"
).bindparams(bindparam("now", type_=Appointment.__table__.c.created_at.type))
# The four writes as one statement (PostgreSQL's data-modifying CTEs): the fewest round trips possible.
_WRITES = text(
    "WITH lead AS (INSERT INTO leads (business_id, name, email, timezone, language, needs, motivations, blockers,"
    " budget, decision_makers, notes, source, created_at, updated_at) VALUES (:business_id, :name, :email, :timezone,"
    " 'en', :needs, '', '', :budget, '', '', '', :now, :now) ON CONFLICT (business_id, email) DO UPDATE SET"
    " name = excluded.name, timezone = excluded.timezone, updated_at = excluded.updated_at RETURNING id),"
    " appointment AS (INSERT INTO appointments (uid, business_id, offer_id, engagement_id, closer_id, lead_id,"
    " starts_at, ends_at, blocked_until, status, channel, meeting_url, prospect_timezone, answers, booked_via,"
    " booked_by_id, routing_reason, sequence, reschedule_count, created_at, updated_at) SELECT :uid, :business_id,"
    " :offer_id, :engagement_id, :closer_id, lead.id, :starts_at, :ends_at, :ends_at, 'booked', 'video', :meeting_url,"
    " :timezone, '[]', 'api', :user_id, '', 0, 0, :now, :now FROM lead RETURNING id),"
    " event AS (INSERT INTO appointment_events (appointment_id, kind, at, actor_label)"
    " SELECT id, 'booked', :now, 'business' FROM appointment),"
    " outbox AS (INSERT INTO outbox_messages (to_address, cc, subject, text_body, html_body, attachments, template,"
    " language, message_id, status, attempts, created_at, render_context) SELECT :email, '[]', '', '', '', '[]',"
    " 'appointment_booked', 'en', :message_id, 'to_render', 0, :now, json_build_object('appointment_id', id)"
    " FROM appointment) SELECT id FROM appointment"
).bindparams(
    bindparam("now", type_=Appointment.__table__.c.created_at.type),
    bindparam("starts_at", type_=Appointment.__table__.c.starts_at.type),
    bindparam("ends_at", type_=Appointment.__table__.c.ends_at.type),
)
_APPOINTMENT = insert(Appointment).returning(Appointment.id)
_EVENT = insert(AppointmentEvent)
_OUTBOX = insert(OutboxMessage)


def _checked(body: dict[str, Any]) -> tuple[int, int, int, int, datetime, datetime]:
    """The reads every booking makes first: the token's owner, the engagement and closer locked, the
    closer's calls around the start (401/404/409 otherwise). Returns (user, business, offer, closer, start, end)."""
    session = db.session
    _scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user_id = session.scalar(_OWNER, {"token_hash": hash_secret(secret)})
    if user_id is None:
        abort(401)
    engagement = session.execute(_LOCKED_ENGAGEMENT, {"engagement_id": body["engagement_id"]}).one_or_none()
    if engagement is None:
        abort(404)
    business_id, offer_id, closer_id = engagement
    start = datetime.fromisoformat(body["start"])
    end = start + timedelta(minutes=30)
    if session.execute(_BUSY, {"closer_id": closer_id, "since": start, "until": end}).all():
        abort(409)
    return user_id, business_id, offer_id, closer_id, start, end


@csrf.exempt  # a bearer-token API call, as the real one
@app.post("/bench/floor/appointments")
def floor_booking() -> Response:
    body: dict[str, Any] = request.get_json()
    session = db.session
    user_id, business_id, offer_id, closer_id, start, end = _checked(body)
    now = clock.utcnow()
    lead = body["lead"]
    lead_id = session.scalar(
        _LEAD,
        {
            "business_id": business_id,
            "name": lead["name"],
            "email": lead["email"],
            "timezone": lead["timezone"],
            "needs": lead["context"]["needs"],
            "budget": lead["context"]["budget"],
            "now": now,
        },
    )
    appointment_id = session.scalar(
        _APPOINTMENT,
        {
            "uid": f"{uuid.uuid4()}@closerhub",
            "business_id": business_id,
            "offer_id": offer_id,
            "engagement_id": body["engagement_id"],
            "closer_id": closer_id,
            "lead_id": lead_id,
            "starts_at": start,
            "ends_at": end,
            "blocked_until": end,
            "status": "booked",
            "channel": "video",
            "meeting_url": f"https://meet.closerhub.app/{secrets.token_urlsafe(16)}",
            "prospect_timezone": lead["timezone"],
            "answers": [],
            "booked_via": "api",
            "booked_by_id": user_id,
            "routing_reason": "",
            "sequence": 0,
            "reschedule_count": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    session.execute(_EVENT, {"appointment_id": appointment_id, "kind": "booked", "at": now, "actor_label": "business"})
    session.execute(
        _OUTBOX,
        {
            "to_address": lead["email"],
            "cc": [],
            "subject": "",
            "text_body": "",
            "html_body": "",
            "attachments": [],
            "template": "appointment_booked",
            "language": "en",
            "message_id": f"<{uuid.uuid4()}@bench>",
            "status": "to_render",
            "attempts": 0,
            "created_at": now,
            "render_context": {"appointment_id": appointment_id},
        },
    )
    session.commit()
    return Response(f'{{"id": {appointment_id}}}', status=201, mimetype="application/json")


@csrf.exempt
@app.post("/bench/floor-cte/appointments")
def floor_booking_in_one_write() -> Response:
    """As ``floor_booking``, with the four writes sent as one statement (PostgreSQL only)."""
    body: dict[str, Any] = request.get_json()
    session = db.session
    user_id, business_id, offer_id, closer_id, start, end = _checked(body)
    lead = body["lead"]
    appointment_id = session.scalar(
        _WRITES,
        {
            "business_id": business_id,
            "offer_id": offer_id,
            "engagement_id": body["engagement_id"],
            "closer_id": closer_id,
            "user_id": user_id,
            "name": lead["name"],
            "email": lead["email"],
            "timezone": lead["timezone"],
            "needs": lead["context"]["needs"],
            "budget": lead["context"]["budget"],
            "uid": f"{uuid.uuid4()}@closerhub",
            "starts_at": start,
            "ends_at": end,
            "meeting_url": f"https://meet.closerhub.app/{secrets.token_urlsafe(16)}",
            "message_id": f"<{uuid.uuid4()}@bench>",
            "now": clock.utcnow(),
        },
    )
    session.commit()
    return Response(f'{{"id": {appointment_id}}}', status=201, mimetype="application/json")
