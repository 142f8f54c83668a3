"""Admin use cases on accounts: find users, suspend and reactivate them.

A suspended user cannot log in (``User.is_active`` is false, so Flask-Login drops their
sessions on the next request), and their API tokens are refused
(``tokens.find_usable_token`` checks the status). A suspended closer leaves search and
their engagements stop being bookable (``engagements.service.require_active_engagement``
checks the closer's status); nothing stays booked with them: each upcoming call goes to
another engaged closer free at that time, or is cancelled with a notice and a rebooking
link (``release_calls``). Reactivating restores access: tokens are not revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.audit.service import record
from closerhub.booking import guard
from closerhub.booking.changes import handover
from closerhub.booking.changes.handover import Handover
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.text import clean_text
from closerhub.db import get_by_id

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


def find_user(session: Session, user_id: int) -> User:
    """Any user by id (admins see everyone); NotFound otherwise."""
    user = get_by_id(session, User, user_id)
    if user is None:
        raise NotFound(_("User not found."))
    return user


def _reason(raw: str) -> str:
    text = clean_text(raw, "reason", REASON_MAX, multiline=True)
    if not text:
        raise ValidationError(
            _("Give a reason: it is kept in the audit trail."), field_errors={"reason": _("Required.")}
        )
    return text


@dataclass(frozen=True)
class Suspension:
    """A suspension's result: the account, and what became of each of its upcoming calls."""

    user: User
    calls: list[Handover] = field(default_factory=list)


def suspend(session: Session, admin: User, user_id: int, reason: str, *, now: datetime) -> Suspension:
    """Suspend an account with a reason; a closer's upcoming calls go to other closers or are cancelled.

    Idempotent: the status and its audit row are committed first, then each call is handed
    over in its own transaction (``booking.handover``). Suspending again an account already
    suspended finishes the calls a crash left booked; with none left it is a 409.
    """
    if not admin.is_admin:
        raise PermissionDenied(_("Only admins can suspend accounts."))
    user = find_user(session, user_id)
    if user.id == admin.id:
        raise Conflict(_("You cannot suspend your own account."), code="cannot_suspend_self")
    already = user.status == AccountStatus.SUSPENDED
    if already and not (user.is_closer and future_appointments(session, user, now)):
        raise Conflict(_("This account is already suspended."), code="already_suspended")
    text = _reason(reason)
    if not already:
        _set_status(session, admin, user, AccountStatus.SUSPENDED, text, action="account.suspended", now=now)
    calls = release_calls(session, admin, user, now) if user.is_closer else []
    if calls:  # the result page names each call's lead, business and closer: one statement, not one per call
        ids = [h.appointment.id for h in calls]
        session.scalars(
            select(Appointment)
            .where(Appointment.id.in_(ids))
            .options(joinedload(Appointment.lead), joinedload(Appointment.business), joinedload(Appointment.closer))
        ).unique().all()
    return Suspension(user, calls)


def reactivate(session: Session, admin: User, user_id: int, reason: str, *, now: datetime) -> User:
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
    _set_status(session, admin, user, AccountStatus.ACTIVE, _reason(reason), action="account.reactivated", now=now)
    return user


def _set_status(
    session: Session, admin: User, user: User, status: AccountStatus, reason: str, *, action: str, now: datetime
) -> None:
    """Change an account's status with the admin's reason in its audit row, and commit."""
    before = user.status
    user.status = status
    record(
        session,
        actor=admin,
        action=action,
        obj=user,
        before={"status": before},
        after={"status": status, "reason": reason},
        now=now,
    )
    session.commit()


def future_appointments(session: Session, closer: User, now: datetime) -> list[Appointment]:
    """The closer's calls still booked and not started at ``now``, soonest first (with lead and business)."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.closer_id == closer.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .options(joinedload(Appointment.lead), joinedload(Appointment.business))
            .order_by(Appointment.starts_at)
        )
    )


def release_calls(session: Session, admin: User, closer: User, now: datetime) -> list[Handover]:
    """Hand each upcoming call of the suspended ``closer`` to another engaged closer free at that time
    (the routing rule; the prospect is told of the new closer), else cancel it with a notice and a
    rebooking link. One transaction per call, under the booking guard; a call already handled
    (by a run before this one) is skipped. The internal reason says the closer was suspended,
    not why: the admin's reason stays in the account's audit row."""
    done: list[Handover] = []
    for appointment_id in [a.id for a in future_appointments(session, closer, now)]:
        guard.take_write_lock(session)
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            continue
        session.refresh(appointment)
        if (
            appointment.status != AppointmentStatus.BOOKED
            or appointment.closer_id != closer.id
            or appointment.starts_at <= now
        ):
            session.rollback()
            continue
        done.append(
            handover.reassign_or_cancel(
                session,
                appointment,
                actor=admin,
                actor_label="admin",
                reason=_("The closer's account was suspended by CloserHub."),
                why=handover.SUSPENDED,
                now=now,
            )
        )
    return done
