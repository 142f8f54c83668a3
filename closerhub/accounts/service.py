"""Account use cases: sign-up, authentication, password reset, settings, admins.

Each function takes the SQLAlchemy session first, raises ``core.errors`` exceptions on
bad input (changing nothing) and commits once on success.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub import events
from closerhub.accounts import passwords
from closerhub.accounts.commands import EmailChange, Preferences
from closerhub.accounts.commands import SignupData as SignupData  # re-exported: callers build it as accounts.SignupData
from closerhub.accounts.models import AccountStatus, ApiToken, Role, User
from closerhub.accounts.verification import queue_verification_email, verification_url
from closerhub.audit.service import record
from closerhub.core.errors import AuthenticationFailed, Conflict, ValidationError
from closerhub.core.i18n import _
from closerhub.core.tz import require_zone
from closerhub.notifications.service import queue_email

SUPPORTED_LANGUAGES = ("en", "fr")
NAME_MAX = 120


@dataclass(frozen=True)
class AccountOpened:
    """Event: sign-up added ``user``; higher packages add what a new account needs (its business,
    its closer profile and vetting row) in the same transaction (``closerhub.events``)."""

    user: User
    now: datetime
    business_name: str | None = None  # the cleaned name, for a business account


def normalize_email(raw: str | None, field: str = "email") -> str:
    """Validate an address (syntax only, no DNS) and return it lower-cased (None or blank: required)."""
    if raw is None or not raw.strip():
        raise ValidationError(_("Enter your email address."), field_errors={field: _("Email is required.")})
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("That email address is not valid: %(reason)s", reason=str(exc)),
            field_errors={field: _("Enter a valid email address.")},
        ) from exc
    return info.normalized.lower()


def clean_name(raw: str | None, field: str = "name", max_len: int = NAME_MAX) -> str:
    """A display name: trimmed, non-empty, bounded, without control characters."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(_("A name is required."), field_errors={field: _("This field is required.")})
    value = " ".join(raw.split())
    if len(value) > max_len:
        raise ValidationError(
            _("Keep it under %(limit)d characters.", limit=max_len),
            field_errors={field: _("At most %(limit)d characters.", limit=max_len)},
        )
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError(_("Remove control characters."), field_errors={field: _("Invalid characters.")})
    return value


def clean_language(raw: str | None) -> str:
    if raw is None or raw not in SUPPORTED_LANGUAGES:
        raise ValidationError(_("Choose English or French."), field_errors={"language": _("Choose en or fr.")})
    return raw


def clean_timezone(raw: str, field: str = "timezone") -> str:
    """An IANA zone name this system knows (as given), or a ValidationError naming ``field``."""
    require_zone(raw, field)
    return raw


def signup(session: Session, data: SignupData, *, now: datetime) -> User:
    """Open a closer or business account. A business sign-up also creates the business,
    with the new user as its owner. Admins cannot sign up (see ``create_admin``)."""
    errors: dict[str, str] = {}
    email = name = business_name = ""
    for fn in (
        lambda: normalize_email(data.email),
        lambda: clean_name(data.name),
        lambda: require_zone(data.timezone),
        lambda: clean_language(data.language),
        lambda: passwords.check_rules(data.password, email=data.email or ""),
    ):
        try:
            fn()
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if data.role not in (Role.CLOSER.value, Role.BUSINESS.value):
        errors["role"] = _("Choose closer or business.")
    if data.role == Role.BUSINESS.value:
        try:
            business_name = clean_name(data.business_name, field="business_name")
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)
    email = normalize_email(data.email)
    name = clean_name(data.name)
    if _email_taken(session, email):
        raise _email_taken_error()
    user = User(
        email=email,
        name=name,
        password_hash=passwords.hash_password(data.password),
        role=Role(data.role),
        status=AccountStatus.ACTIVE,
        timezone=data.timezone,
        language=data.language,
        created_at=now,
    )
    session.add(user)
    # The business and its owner seat (businesses), the empty profile (closers) and the review row
    # (vetting) are added by those packages' handlers, in this transaction.
    opened = AccountOpened(user=user, now=now, business_name=business_name if user.role == Role.BUSINESS else None)
    events.publish(session, opened)
    try:
        session.flush()  # the unique index settles a race the check above could not see
    except IntegrityError:
        session.rollback()
        raise _email_taken_error() from None
    record(
        session, actor=user, action="account.created", obj=user, after={"role": user.role, "email": user.email}, now=now
    )
    # One email: the welcome carries the link that verifies the address (the id exists since
    # the flush: the link binds it). Resends and address changes send the verify_email alone.
    welcome = {"user": user, "verify_url": verification_url(user)}
    queue_email(session, to=user.email, template="welcome", language=user.language, context=welcome, now=now)
    session.commit()
    return user


def _email_taken_error() -> Conflict:
    return Conflict(
        _("An account with this email already exists. Log in or reset your password."),
        field_errors={"email": _("Already registered.")},
        code="email_taken",
    )


def _email_taken(session: Session, email: str, exclude_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return session.scalar(query) is not None


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User:
    """The user for these credentials. The error never says whether the email exists."""
    failure = AuthenticationFailed(_("Email or password is incorrect."))
    try:
        address = normalize_email(email)
    except ValidationError:
        passwords.verify_password(None, "x")
        raise failure from None
    user = session.scalar(select(User).where(User.email == address))
    if not passwords.verify_password(user.password_hash if user else None, password):
        raise failure
    assert user is not None
    if user.status != AccountStatus.ACTIVE:
        raise AuthenticationFailed(_("This account is suspended. Contact support."), code="account_suspended")
    user.last_login_at = now
    session.commit()
    return user


# --- password reset -------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # The token embeds a fingerprint of the current hash: once the password changes
    # (a reset sets a new salted hash) the link no longer matches, so it works once.
    # The email is in it too: a link sent to a previous address stops working once it changes.
    return hashlib.sha256(f"{user.password_hash}|{user.email}".encode()).hexdigest()[:20]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def request_password_reset(session: Session, email: str, reset_url_for: Callable[[str], str], *, now: datetime) -> None:
    """Email a reset link if the account exists. Says nothing either way (no enumeration).

    ``reset_url_for`` maps a token to an absolute URL (the view builds it).
    """
    address = normalize_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None or user.status != AccountStatus.ACTIVE:
        return
    token = make_reset_token(user)
    queue_email(
        session,
        to=user.email,
        template="password_reset",
        language=user.language,
        context={"user": user, "reset_url": reset_url_for(token)},
        now=now,
    )
    session.commit()


def user_for_reset_token(session: Session, token: str) -> User:
    """The user a reset link belongs to, or ValidationError if forged, expired or used."""
    invalid = ValidationError(
        _("This reset link is invalid or has already been used. Ask for a new one."), code="invalid_token"
    )
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise ValidationError(_("This reset link has expired. Ask for a new one."), code="expired_token") from None
    except BadSignature:
        raise invalid from None
    if not isinstance(data, dict):
        raise invalid
    user = session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise invalid
    return user


def reset_password(session: Session, token: str, new_password: str, *, now: datetime) -> User:
    """Set a new password from a valid reset link; the link is spent afterwards."""
    user = user_for_reset_token(session, token)
    passwords.check_rules(new_password, email=user.email)
    user.password_hash = passwords.hash_password(new_password)  # also ends every session (User.get_id)
    # Recovering an account means it may have been taken over: its API tokens go too.
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    record(session, actor=user, action="account.password_reset", obj=user, after={"api_tokens": "revoked"}, now=now)
    queue_email(
        session, to=user.email, template="password_changed", language=user.language, context={"user": user}, now=now
    )
    session.commit()
    return user


# --- settings --------------------------------------------------------------------------


def change_password(session: Session, user: User, current: str, new: str, *, now: datetime) -> None:
    if not passwords.verify_password(user.password_hash, current or ""):
        raise ValidationError(
            _("Your current password is incorrect."), field_errors={"current_password": _("Incorrect password.")}
        )
    passwords.check_rules(new, email=user.email, field="new_password")
    user.password_hash = passwords.hash_password(new)
    record(session, actor=user, action="account.password_changed", obj=user, now=now)  # never the hashes
    queue_email(
        session, to=user.email, template="password_changed", language=user.language, context={"user": user}, now=now
    )
    session.commit()


def change_email(session: Session, user: User, change: EmailChange, *, now: datetime) -> None:
    """Change the login email after re-checking the password; the old address is told, the new one verified."""
    if not passwords.verify_password(user.password_hash, change.password):
        raise ValidationError(_("Your password is incorrect."), field_errors={"password": _("Incorrect password.")})
    address = normalize_email(change.email)
    if address == user.email:
        return
    if _email_taken(session, address, exclude_id=user.id):
        raise Conflict(_("Another account already uses this email."), field_errors={"email": _("Already registered.")})
    old = user.email
    user.email = address
    user.email_verified_at = None
    try:
        session.flush()
    except IntegrityError:  # another account took the address since the check
        session.rollback()
        raise Conflict(
            _("Another account already uses this email."), field_errors={"email": _("Already registered.")}
        ) from None
    record(
        session,
        actor=user,
        action="account.email_changed",
        obj=user,
        before={"email": old},
        after={"email": address},
        now=now,
    )
    queue_email(
        session,
        to=old,
        template="email_changed",
        language=user.language,
        context={"user": user, "old_email": old},
        now=now,
    )
    queue_verification_email(session, user, now=now)  # links sent to the old address die with it (see verification)
    session.commit()


def update_preferences(session: Session, user: User, preferences: Preferences) -> None:
    """Change the display name, time zone and language together (all or nothing)."""
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, fn in (
        ("name", lambda: clean_name(preferences.name)),
        ("timezone", lambda: clean_timezone(preferences.timezone)),
        ("language", lambda: clean_language(preferences.language)),
    ):
        try:
            clean[key] = fn()
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)
    user.name, user.timezone, user.language = clean["name"], clean["timezone"], clean["language"]
    session.commit()


def create_admin(session: Session, *, email: str, password: str, name: str, now: datetime) -> User:
    """Make an admin account (CLI only). An existing admin with this email keeps its password."""
    address = normalize_email(email)
    existing = session.scalar(select(User).where(User.email == address))
    if existing is not None:
        if existing.role != Role.ADMIN:
            raise Conflict(f"{address} already has a {existing.role.value} account.")
        return existing
    passwords.check_rules(password, email=address)
    user = User(
        email=address,
        name=clean_name(name),
        password_hash=passwords.hash_password(password),
        role=Role.ADMIN,
        status=AccountStatus.ACTIVE,
        timezone="UTC",
        language="en",
        created_at=now,
    )
    session.add(user)
    record(
        session,
        actor=None,
        action="account.admin_created",
        obj=user,
        after={"role": user.role, "email": address},
        now=now,
    )
    session.commit()
    return user


def ids_matching(session: Session, text: str, limit: int) -> tuple[int, ...]:
    """The ids of the users (at most ``limit``) whose name or email contains ``text``.

    The admin's audit search runs this on the users table (one row per person) and then reads
    the trail through its ``(actor_id, at)`` index: a ``LIKE '%…%'`` on the audit rows' labels
    would scan every row of a table that only grows.
    """
    needle = text.lower()
    stmt = (
        select(User.id)
        .where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
            )
        )
        .order_by(User.id)
        .limit(limit)
    )
    return tuple(session.scalars(stmt))
