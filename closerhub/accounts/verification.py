"""Email verification: a signed, expiring link proves that a user reads the address on their account.

The link carries the user id and a fingerprint of the address it was sent to, signed with
``SECRET_KEY`` (itsdangerous, its own salt): once the email changes, every link sent to the
old address stops working. It is single-use by nature: once ``email_verified_at`` is set, a
second click only says "already verified". Verification never blocks logging in; it gates
what needs a reachable person (an admin cannot approve an unverified closer in vetting).

Each function takes the session first, raises ``core.errors`` exceptions and, where it
says so, commits once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, User
from closerhub.audit.service import record
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.db import get_by_id
from closerhub.notifications.service import public_url, queue_email

_INVALID = N_(
    "This verification link is not valid: it may be incomplete, or it was sent to an address "
    "your account no longer uses. Log in and ask for a new one."
)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-verify")


def _email_fingerprint(email: str) -> str:
    # A hash, not the address: the token is signed, not encrypted, and travels in URLs and logs.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def make_verify_token(user: User) -> str:
    """A signed token binding ``user``'s id to their current email address."""
    return _serializer().dumps({"uid": user.id, "em": _email_fingerprint(user.email)})


def is_verified(user: User) -> bool:
    """Whether ``user`` has proven they read their current address."""
    return user.email_verified_at is not None


def verification_url(user: User) -> str:
    """The link that verifies ``user``'s current address, on ``PUBLIC_BASE_URL`` (never the request's Host)."""
    return public_url("accounts.verify_email", token=make_verify_token(user))


def queue_verification_email(session: Session, user: User, *, now: datetime) -> None:
    """Add the verification email for ``user``'s current address to the outbox (the caller commits).

    Sent on a change of address and on a resend; the sign-up's welcome email carries the
    first link itself (one email, not two).
    """
    queue_email(
        session,
        to=user.email,
        template="verify_email",
        language=user.language,
        context={"user": user, "verify_url": verification_url(user)},
        now=now,
    )


def user_for_verify_token(session: Session, token: str) -> User:
    """The user a verification link belongs to; ValidationError if forged, expired or for another address.

    The message is the same whether or not the user exists (no enumeration).
    """
    invalid = ValidationError(_(_INVALID), code="invalid_token")
    serializer = _serializer()
    try:
        data = serializer.loads(token, max_age=current_app.config["EMAIL_VERIFY_MAX_AGE"])
    except SignatureExpired as exc:
        # Genuine but old: someone clicking it after verifying is told "already verified", not "expired".
        user = _user_for(session, serializer.load_payload(exc.payload) if exc.payload else None)
        if user is not None and is_verified(user):
            return user
        raise ValidationError(
            _("This verification link has expired. Log in and ask for a new one."), code="expired_token"
        ) from None
    except BadSignature:
        raise invalid from None
    user = _user_for(session, data)
    if user is None:
        raise invalid
    return user


def _user_for(session: Session, data: object) -> User | None:
    """The user a (signature-checked) payload names, if the address it was sent to is still theirs."""
    if not isinstance(data, dict):
        return None
    user = get_by_id(session, User, data.get("uid"))
    if user is None or data.get("em") != _email_fingerprint(user.email):
        return None
    return user


def verify_email(session: Session, token: str, *, now: datetime) -> User:
    """Mark the address in ``token`` as verified, audited as ``account.email_verified``; commits.

    A second click on the same (still valid) link is a Conflict ``already_verified``.
    """
    user = user_for_verify_token(session, token)
    if is_verified(user):
        raise Conflict(_("Your email address is already verified."), code="already_verified")
    user.email_verified_at = now
    record(session, actor=user, action="account.email_verified", obj=user, after={"email": user.email}, now=now)
    session.commit()
    return user


def resend_verification(session: Session, user: User, *, actor: User | None = None, now: datetime) -> None:
    """Send ``user`` a fresh verification link; commits.

    ``actor`` is an admin acting from the users desk (audited as ``account.verification_resent``);
    None means the user asked for it themselves. Already verified is a Conflict.
    """
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only admins can resend another user's verification email."))
    if is_verified(user):
        raise Conflict(_("This email address is already verified."), code="already_verified")
    if user.status != AccountStatus.ACTIVE:
        raise Conflict(_("This account is suspended: reactivate it first."), code="account_suspended")
    queue_verification_email(session, user, now=now)
    if actor is not None:
        record(
            session, actor=actor, action="account.verification_resent", obj=user, after={"email": user.email}, now=now
        )
    session.commit()


def mark_verified(session: Session, user: User, *, actor: User | str | None = None, now: datetime) -> None:
    """Verify ``user`` without a link (demo data and test fixtures); audited, no email, no commit."""
    if is_verified(user):
        return
    user.email_verified_at = now
    record(session, actor=actor, action="account.email_verified", obj=user, after={"email": user.email}, now=now)
