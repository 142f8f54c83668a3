"""Reading appointments (who may see which) and the prospect's signed manage links."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.errors import NotFound, ValidationError
from closerhub.core.i18n import _
from closerhub.core.tz import require_aware
from closerhub.leads.models import Lead

TOKEN_SALT = "appointment-manage"  # noqa: S105  (an itsdangerous salt, not a secret)
ATTENDANCE_SALT = "appointment-attendance"  # the 24 h reminder's "I'll be there" link


# --- reading -----------------------------------------------------------------------------


def find_appointment(session: Session, appointment_id: int, viewer: User | None) -> Appointment:
    """An appointment ``viewer`` may see (its closer, the business's team, admins); NotFound otherwise."""
    return find_visible(Appointment, appointment_id, viewer, session)


def list_appointments(
    session: Session,
    viewer: User,
    *,
    status: AppointmentStatus | str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Select[tuple[Appointment]]:
    """The appointments ``viewer`` may list, by start time: a closer's own, a business's, or all (admins).

    ``start``/``end`` (aware) keep calls starting in ``[start, end)``; ``status`` one status.
    The lead, offer and closer every list shows come in the same query (no query per row).
    """
    stmt = select(Appointment).options(
        joinedload(Appointment.lead), joinedload(Appointment.offer), joinedload(Appointment.closer)
    )
    if viewer.is_closer:
        stmt = stmt.where(Appointment.closer_id == viewer.id)
    elif not viewer.is_admin:
        stmt = stmt.where(Appointment.business_id == (viewer.business_id or -1))
    if status is not None:
        try:
            stmt = stmt.where(Appointment.status == AppointmentStatus(status))
        except ValueError:
            choices = ", ".join(s.value for s in AppointmentStatus)
            message = _("Unknown status; use one of %(choices)s.", choices=choices)
            raise ValidationError(message, field_errors={"status": message}) from None
    if start is not None:
        stmt = stmt.where(Appointment.starts_at >= require_aware(start, "from"))
    if end is not None:
        stmt = stmt.where(Appointment.starts_at < require_aware(end, "to"))
    return stmt.order_by(Appointment.starts_at, Appointment.id)


# --- the prospect's signed links ----------------------------------------------------------


def _serializer(salt: str = TOKEN_SALT) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def manage_token(appointment: Appointment, *, salt: str = TOKEN_SALT) -> str:
    """The signed token of the prospect's reschedule/cancel link (no expiry; useless once cancelled).

    ``salt=ATTENDANCE_SALT`` signs the attendance confirmation link instead: a token of one
    kind does not open the other's page.
    """
    return str(_serializer(salt).dumps({"id": appointment.id, "uid": appointment.uid}))


def appointment_for_token(
    session: Session, token: str, *, allow_cancelled: bool = False, salt: str = TOKEN_SALT
) -> Appointment:
    """The appointment of a manage link; NotFound when forged, unknown or (by default) cancelled."""
    try:
        payload = _serializer(salt).loads(token)
    except BadSignature:
        raise NotFound(_("This link is not valid.")) from None
    appointment_id = payload.get("id") if isinstance(payload, dict) else None
    appointment = session.get(Appointment, appointment_id) if type(appointment_id) is int else None
    if appointment is None or appointment.uid != payload.get("uid"):
        raise NotFound(_("This link is not valid."))
    if appointment.status == AppointmentStatus.CANCELLED and not allow_cancelled:
        raise NotFound(_("This call was cancelled; the link no longer works."))
    return appointment


def lead_appointments(session: Session, lead: Lead, viewer: User) -> list[Appointment]:
    """The lead's appointments the viewer may see, latest first (a closer sees only their own calls)."""
    stmt = select(Appointment).where(Appointment.lead_id == lead.id)
    if not viewer.is_admin and viewer.business_id != lead.business_id:
        stmt = stmt.where(Appointment.closer_id == viewer.id)
    return list(session.scalars(stmt.order_by(Appointment.starts_at.desc(), Appointment.id.desc())))
