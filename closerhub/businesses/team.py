"""Team use cases: the owner invites colleagues by email link, the invitee joins, the owner removes members.

A user belongs to at most one business (``business_members.user_id`` is unique), so an
invitation is for a *new* account: an address that already has a CloserHub account is
refused when inviting and again when accepting. The one exception is a former member
of a business (a business account whose seat was removed): the new invitation gives
that account a seat again.

The link carries a random 256-bit secret; the row stores its SHA-256 only, expires after
``TEAM_INVITE_DAYS`` (default 7) and is spent by a conditional UPDATE on ``accepted_at``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts import passwords
from closerhub.accounts.models import AccountStatus, ApiToken, Role, User
from closerhub.accounts.service import clean_language, clean_name, clean_timezone, normalize_email
from closerhub.audit.service import record
from closerhub.businesses.commands import Invitation, JoinTeam
from closerhub.businesses.models import Business, BusinessMember, InvitationStatus, MemberRole, TeamInvitation
from closerhub.businesses.service import collect
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.db import get_by_id
from closerhub.notifications.service import queue_email

DEFAULT_INVITE_DAYS = 7


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_days() -> int:
    """How many days an invitation link works (``TEAM_INVITE_DAYS``, default 7)."""
    return int(current_app.config.get("TEAM_INVITE_DAYS", DEFAULT_INVITE_DAYS))


def _require_owner(business: Business, actor: User, denied: str) -> None:
    """NotFound unless ``actor`` sees ``business``; PermissionDenied saying ``denied`` (an ``N_`` text) unless owner."""
    if not business.can_view(actor):
        raise NotFound(_("Business not found."))
    if not business.is_owner(actor):
        raise PermissionDenied(_(denied))


def _existing_account(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email))


def _is_former_member(user: User) -> bool:
    return user.role == Role.BUSINESS and user.membership is None


def _account_exists_error(email: str) -> Conflict:
    return Conflict(
        _(
            "%(email)s already has a CloserHub account. A user belongs to at most one business, "
            "so this account cannot join yours; invite another address.",
            email=email,
        ),
        field_errors={"email": _("This address already has an account.")},
        code="account_exists",
    )


def invite(
    session: Session,
    actor: User,
    business: Business,
    invitation: Invitation,
    *,
    join_url_for: Callable[[str], str],
    now: datetime,
) -> TeamInvitation:
    """Invite ``invitation.email`` to join ``business`` as a member (owner only) and email the link.

    A new invitation to the same address replaces the pending one (its link stops
    working). ``join_url_for`` maps the secret to the absolute link (the view builds it).
    """
    _require_owner(business, actor, N_("Only the owner of the business can invite colleagues."))
    values = collect(
        (
            ("email", lambda: normalize_email(invitation.email)),
            ("language", lambda: clean_language(invitation.language)),
        )
    )
    address = str(values["email"])
    existing = _existing_account(session, address)
    if existing is not None and not _is_former_member(existing):
        raise _account_exists_error(address)
    session.execute(
        update(TeamInvitation)
        .where(
            TeamInvitation.business_id == business.id,
            TeamInvitation.email == address,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    row = TeamInvitation(
        business_id=business.id,
        email=address,
        language=str(values["language"]),
        token_hash=hash_token(token),
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=invite_days()),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="team.invited",
        obj=row,
        after={"email": address, "business_id": business.id},
        now=now,
    )
    queue_email(
        session,
        to=address,
        template="team_invite",
        language=row.language,
        context={
            "business": business,
            "inviter": actor,
            "invitation": row,
            "join_url": join_url_for(token),
            "days": invite_days(),
        },
        now=now,
    )
    session.commit()
    return row


def ensure_can_join(session: Session, invitation: TeamInvitation) -> None:
    """Conflict when the invited address already has an account that cannot take a seat."""
    existing = _existing_account(session, invitation.email)
    if existing is not None and not _is_former_member(existing):
        raise _account_exists_error(invitation.email)


def invitation_for_token(session: Session, token: str, now: datetime) -> TeamInvitation:
    """The pending invitation of a link, or ValidationError saying why the link does not work."""
    invitation = session.scalar(select(TeamInvitation).where(TeamInvitation.token_hash == hash_token(token or "")))
    status = invitation.status(now) if invitation is not None else None
    if invitation is None or status == InvitationStatus.REVOKED:
        raise ValidationError(
            _(
                "This invitation link is not valid (a newer invitation may have replaced it). "
                "Ask the business owner for a new one."
            ),
            code="invalid_invitation",
        )
    if status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            _("This invitation has already been used. Log in with the account it created."), code="used_invitation"
        )
    if status == InvitationStatus.EXPIRED:
        raise ValidationError(
            _("This invitation has expired. Ask the business owner to invite you again."), code="expired_invitation"
        )
    return invitation


def accept_invitation(
    session: Session,
    token: str,
    joining: JoinTeam,
    *,
    now: datetime,
) -> User:
    """Open the invitee's account (or give a former member a seat again) and join the business.

    The invitation's address is the account's email: following the emailed link proves
    the invitee reads it, so the address counts as verified.
    """
    invitation = invitation_for_token(session, token, now)
    address = invitation.email
    values = collect(
        (
            ("name", lambda: clean_name(joining.name)),
            ("password", lambda: passwords.check_rules(joining.password, email=address)),
            ("timezone", lambda: clean_timezone(joining.timezone)),
            ("language", lambda: clean_language(joining.language)),
        )
    )
    ensure_can_join(session, invitation)
    existing = _existing_account(session, address)
    claimed = session.execute(
        update(TeamInvitation)
        .where(
            TeamInvitation.id == invitation.id,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .values(accepted_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(_("This invitation has just been used."), code="used_invitation")
    user = existing or User(email=address, role=Role.BUSINESS, created_at=now)
    user.name = str(values["name"])
    user.password_hash = passwords.hash_password(joining.password)
    user.timezone = str(values["timezone"])
    user.language = str(values["language"])
    user.status = AccountStatus.ACTIVE
    user.email_verified_at = now
    session.add(user)
    session.add(BusinessMember(business_id=invitation.business_id, user=user, role=MemberRole.MEMBER, created_at=now))
    try:
        session.flush()
    except IntegrityError:  # the address or the seat was taken since the check
        session.rollback()
        raise _account_exists_error(address) from None
    invitation.accepted_user_id = user.id
    record(
        session,
        actor=user,
        action="team.joined",
        obj=invitation,
        after={"business_id": invitation.business_id, "user_id": user.id, "role": MemberRole.MEMBER},
        now=now,
    )
    business = session.get(Business, invitation.business_id)
    queue_email(session, to=user.email, template="welcome", language=user.language, context={"user": user}, now=now)
    inviter = invitation.invited_by
    if inviter is not None and inviter.status == AccountStatus.ACTIVE:
        queue_email(
            session,
            to=inviter.email,
            template="team_invite_accepted",
            language=inviter.language,
            context={"recipient": inviter, "member": user, "business": business},
            now=now,
        )
    session.commit()
    return user


def revoke_invitation(
    session: Session, actor: User, business: Business, invitation_id: int, *, now: datetime
) -> TeamInvitation:
    """Cancel a pending invitation (owner only); its link stops working. Revoking twice is harmless."""
    _require_owner(business, actor, N_("Only the owner of the business can manage invitations."))
    invitation = get_by_id(session, TeamInvitation, invitation_id)
    if invitation is None or invitation.business_id != business.id:
        raise NotFound(_("Invitation not found."))
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was already accepted; remove the member instead."))
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        record(
            session,
            actor=actor,
            action="team.invitation_revoked",
            obj=invitation,
            after={"email": invitation.email},
            now=now,
        )
    session.commit()
    return invitation


def remove_member(session: Session, actor: User, business: Business, member_id: int, *, now: datetime) -> User:
    """Take a member's seat away (owner only). The owner's own seat cannot be removed.

    The account existed only to work for this business, so it is suspended (its sessions
    end) and its API tokens are revoked; a later invitation gives it a seat again.
    """
    _require_owner(business, actor, N_("Only the owner of the business can remove members."))
    member = get_by_id(session, BusinessMember, member_id)
    if member is None or member.business_id != business.id:
        raise NotFound(_("Team member not found."))
    if member.role == MemberRole.OWNER:
        raise Conflict(_("The owner cannot be removed from the business."), code="owner_cannot_be_removed")
    user = member.user
    record(
        session,
        actor=actor,
        action="team.member_removed",
        obj=user,
        before={"business_id": business.id, "member_role": member.role, "status": user.status},
        after={"business_id": None, "status": AccountStatus.SUSPENDED, "api_tokens": "revoked"},
        now=now,
    )
    session.delete(member)
    user.status = AccountStatus.SUSPENDED
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    session.commit()
    return user


def members(session: Session, business: Business) -> list[BusinessMember]:
    """The team, owner first, then by join date."""
    # Each member's name and email come with the row: the team page and the API show them.
    stmt = select(BusinessMember).options(joinedload(BusinessMember.user))
    rows = session.scalars(stmt.where(BusinessMember.business_id == business.id))
    return sorted(rows, key=lambda m: (m.role != MemberRole.OWNER, m.created_at, m.id))


def pending_invitations(session: Session, business: Business, now: datetime) -> list[TeamInvitation]:
    """Invitations that can still be accepted, newest first."""
    rows = session.scalars(
        select(TeamInvitation)
        .where(
            TeamInvitation.business_id == business.id,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
            TeamInvitation.expires_at > now,
        )
        .order_by(TeamInvitation.id.desc())
    )
    return list(rows)
