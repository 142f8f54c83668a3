"""The provider's webhooks: inbound texts (STOP, START, YES) and delivery status callbacks.

Point the Twilio number's "A message comes in" webhook at ``POST /sms/inbound`` and the status
callbacks (sent with each message) arrive at ``POST /sms/status``. Both verify
``X-Twilio-Signature`` over ``PUBLIC_BASE_URL`` + the path and the posted fields (the SDK's
``RequestValidator``); a missing or forged signature is a 403 and changes nothing.

- STOP (and STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, ARRET): no more texts to that number.
- START (UNSTOP): texts may resume.
- YES (OUI, Y): confirms the prospect's next call whose 24 h reminder asked for it.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.booking.attendance import service as attendance
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.notifications import sms, sms_gateway
from closerhub.notifications.service import public_url, supported_language

bp = Blueprint("sms", __name__)

YES_WORDS = frozenset({"YES", "Y", "OUI"})


def _verified_form() -> dict[str, str]:
    params = {k: v for k, v in request.form.items()}
    url = public_url(request.endpoint or "sms.inbound")
    if not sms_gateway.signature_ok(current_app.config, url, params, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return params


def _twiml(text: str | None) -> Response:
    return Response(sms_gateway.twiml_reply(text), mimetype="application/xml")


def _call_to_confirm(phone: str) -> Appointment | None:
    """The soonest booked call of a lead with this number whose 24 h reminder asked for a confirmation."""
    now = clock.utcnow()
    return db.session.scalar(
        select(Appointment)
        .join(Lead, Lead.id == Appointment.lead_id)
        .where(
            Lead.phone_e164 == phone,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at > now,
            Appointment.sms_24h_at.is_not(None),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )


@bp.post("/sms/inbound")
def inbound() -> Response:
    """STOP / START / YES from a prospect's phone."""
    params = _verified_form()
    phone, word = params.get("From", ""), params.get("Body", "").strip().upper().rstrip(".!")
    now = clock.utcnow()
    if word in sms.STOP_WORDS:
        sms.opt_out(db.session, phone, now)
        db.session.commit()
        return _twiml(None)  # the carrier's own STOP answer goes out; we add nothing
    if word in sms.START_WORDS:
        sms.opt_in(db.session, phone)
        db.session.commit()
        return _twiml(None)
    if word in YES_WORDS:
        appointment = _call_to_confirm(phone)
        if appointment is not None:
            attendance.confirm(db.session, appointment, now=now)
            with force_locale(supported_language(appointment.prospect_language)):
                return _twiml(_("Thank you: your closer knows you will be there."))
    return _twiml(None)


@bp.post("/sms/status")
def status() -> Response:
    """A delivery status callback: stored on the message (an unknown one is ignored)."""
    params = _verified_form()
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if sid and state:
        sms.record_status(db.session, sid, state, clock.utcnow(), error=params.get("ErrorCode"))
    return Response(status=204)
