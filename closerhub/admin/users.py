"""Admin use cases on accounts: find users, suspend and reactivate them.

A suspended user cannot log in (``User.is_active`` is false, so Flask-Login drops their
sessions on the next request), and their API tokens are refused
(``tokens.find_usable_token`` checks the status). A suspended closer leaves search and
their engagements stop being bookable (``engagements.service.require_active_engagement``
checks the closer's status); businesses with calls still booked with them are emailed
once each, so they can rebook. Reactivating restores everything: tokens are not revoked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.audit.service import record
from closerhub.businesses.models import Business
from closerhub.businesses.service import clean_text
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.db import get_by_id
from closerhub.notifications.service import public_url, queue_email

REASON_MAX = 1000
Q_MAX = 100


@dataclass(frozen=True)
class UserFilter:
    """The users desk's filters (all optional)."""

    q: str = ""
    role: str = ""
    status: str = ""


def users_query(flt: UserFilter) -> Select[tuple[User]]:
    """Users matching ``flt`` (text on name or email, literal: ``_`` and ``%`` match themselves), newest first."""
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if flt.role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(flt.role))
    if flt.status in {s.value for s in AccountStatus}:
        stmt = stmt.where(User.status == AccountStatus(flt.status))
    needle = flt.q.strip()[:Q_MAX].lower()
    if needle:
        stmt = stmt.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.name).contains(needle, autoescape=True),
            )
        )
    return stmt


def find_user(session: Session, user_id: object) -> User:
    """Any user by id (admins see everyone); NotFound otherwise."""
    user = get_by_id(session, User, user_id)
    if user is None:
        raise NotFound(_("User not found."))
    return user


def _reason(raw: object) -> str:
    text = clean_text(raw, "reason", REASON_MAX, multiline=True)
    if not text:
        raise ValidationError(
            _("Give a reason: it is kept in the audit trail."), field_errors={"reason": _("Required.")}
        )
    return text


def suspend(session: Session, admin: User, user_id: object, reason: object) -> User:
    """Suspend an account with a reason. Businesses with future calls booked with a suspended closer are told."""
    if not admin.is_admin:
        raise PermissionDenied(_("Only admins can suspend accounts."))
    user = find_user(session, user_id)
    if user.id == admin.id:
        raise Conflict(_("You cannot suspend your own account."), code="cannot_suspend_self")
    if user.status == AccountStatus.SUSPENDED:
        raise Conflict(_("This account is already suspended."), code="already_suspended")
    text = _reason(reason)
    user.status = AccountStatus.SUSPENDED
    record(
        session,
        actor=admin,
        action="account.suspended",
        obj=user,
        before={"status": AccountStatus.ACTIVE},
        after={"status": AccountStatus.SUSPENDED, "reason": text},
    )
    if user.is_closer:
        flag_future_appointments(session, user)
    session.commit()
    return user


def reactivate(session: Session, admin: User, user_id: object, reason: object) -> User:
    """Lift a suspension, with a reason. The user can log in and use their tokens again."""
    if not admin.is_admin:
        raise PermissionDenied(_("Only admins can reactivate accounts."))
    user = find_user(session, user_id)
    if user.status == AccountStatus.ACTIVE:
        raise Conflict(_("This account is already active."), code="already_active")
    if user.role == Role.BUSINESS and user.membership is None:
        # A member removed from their team was suspended by that removal: a new invitation gives the seat back.
        raise Conflict(
            _("This account lost its seat in its business; the owner can invite it again."), code="no_business_seat"
        )
    text = _reason(reason)
    user.status = AccountStatus.ACTIVE
    record(
        session,
        actor=admin,
        action="account.reactivated",
        obj=user,
        before={"status": AccountStatus.SUSPENDED},
        after={"status": AccountStatus.ACTIVE, "reason": text},
    )
    session.commit()
    return user


def _has_table(session: Session, name: str) -> bool:
    return inspect(session.get_bind()).has_table(name)


def future_appointments(session: Session, closer: User) -> list[object]:
    """The closer's calls still booked and not started yet, soonest first."""
    from closerhub.booking.models import Appointment, AppointmentStatus

    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.closer_id == closer.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > clock.utcnow(),
            )
            .order_by(Appointment.starts_at)
        )
    )


def flag_future_appointments(session: Session, closer: User) -> int:
    """Email each business with future calls booked with ``closer`` once, listing them. Returns the emails queued.

    The calls stay booked: the business decides to rebook or cancel them (its prospects
    know the business, not the platform). The caller commits.
    """
    by_business: dict[int, list[object]] = defaultdict(list)
    for appointment in future_appointments(session, closer):
        by_business[appointment.business_id].append(appointment)  # type: ignore[attr-defined]
    sent = 0
    for business_id, appointments in by_business.items():
        business = session.get(Business, business_id)
        recipients = [m.user for m in business.members if m.user.status == AccountStatus.ACTIVE] if business else []
        if not recipients:
            continue
        first, *others = recipients
        queue_email(
            session,
            to=first.email,
            cc=[u.email for u in others],
            template="closer_suspended_appointments",
            language=first.language,
            context={
                "recipient": first,
                "business": business,
                "closer": closer,
                "appointments": appointments,
                "zone": business.timezone,  # type: ignore[union-attr]
                "engagements_url": public_url("engagements.index"),
            },
        )
        sent += 1
    return sent
