"""Who is told about a call: the prospect, their guests, the closer, the business's members, and as whom."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, User
from closerhub.booking.models import Appointment
from closerhub.businesses.models import BusinessMember

PROSPECT, CLOSER, BUSINESS = "prospect", "closer", "business"
GUEST = "guest"  # invited by the prospect (``booking.guests``): reads what the prospect reads, without the manage link
ON_PROSPECT_SIDE = (PROSPECT, GUEST)


@dataclass(frozen=True)
class Recipient:
    """Someone to email about an appointment, and how: their address, language, zone and role on the call."""

    email: str
    name: str
    language: str
    timezone: str
    role: str  # prospect, closer or business
    user_id: int | None = None


# --- who ----------------------------------------------------------------------------------------


def prospect_of(appointment: Appointment) -> Recipient:
    """The prospect as the call knows them: on a public booking, the name, language and zone they
    typed (``prospect_said``), never the business's stored ones; the address is the lead's (the same)."""
    return Recipient(
        appointment.lead.email,
        appointment.prospect_name,
        appointment.prospect_language,
        appointment.prospect_zone,
        PROSPECT,
    )


@dataclass(frozen=True)
class ProspectView:
    """The lead as the prospect's own emails may show it: nothing but how this call knows them."""

    name: str
    email: str
    timezone: str
    language: str


def _prospect_view(appointment: Appointment) -> ProspectView:
    return ProspectView(
        appointment.prospect_name, appointment.lead.email, appointment.prospect_zone, appointment.prospect_language
    )


def guests_of(appointment: Appointment) -> list[Recipient]:
    """The prospect's guests, in the prospect's language and zone."""
    return [
        Recipient(g["email"], g["name"], appointment.prospect_language, appointment.prospect_zone, GUEST)
        for g in appointment.guests or []
    ]


def closer_of(appointment: Appointment) -> Recipient:
    closer = appointment.closer
    return Recipient(closer.email, closer.name, closer.language, closer.timezone, CLOSER, closer.id)


def business_members(session: Session, appointment: Appointment) -> list[Recipient]:
    """Every active member of the appointment's business (the owner first).

    Without autoflush: members are not among what a booking has pending, and a flush here
    would be a second one for the booking's few rows (they go with the commit's).
    """
    with session.no_autoflush:
        members = session.execute(
            select(User.email, User.name, User.language, User.timezone, User.id)
            .join(BusinessMember, BusinessMember.user_id == User.id)
            .where(
                BusinessMember.business_id == appointment.business_id,
                User.status == AccountStatus.ACTIVE,
                User.id != appointment.closer_id,
            )
            .order_by(BusinessMember.id)
        )
    return [
        Recipient(email, name, language, zone, BUSINESS, user_id) for email, name, language, zone, user_id in members
    ]


def everyone(session: Session, appointment: Appointment) -> list[Recipient]:
    """The prospect, their guests, the closer, then the business's members."""
    return [
        prospect_of(appointment),
        *guests_of(appointment),
        closer_of(appointment),
        *business_members(session, appointment),
    ]
