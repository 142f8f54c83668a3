"""API token use cases: create, list, revoke and authenticate bearer tokens.

A token's secret (``chub_`` + 43 URL-safe characters, 256 bits of entropy) is shown once
at creation; only its SHA-256 hex digest is stored, plus a short display prefix so people
can tell their tokens apart. A fast hash is enough here (unlike passwords): the secret is
random and long, so a leaked table cannot be brute-forced, and every API call needs a
cheap, indexed lookup.

Each function takes the session first, raises ``core.errors`` exceptions and commits
once. Callers pass ``now`` from ``closerhub.clock.utcnow()``.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus, ApiToken, User
from closerhub.audit.service import record
from closerhub.core.errors import AuthenticationFailed, NotFound, ValidationError
from closerhub.core.i18n import N_, _

SECRET_PREFIX = "chub_"  # noqa: S105  (a public marker, not a secret: lets scanners spot leaked tokens)
PREFIX_LENGTH = 12  # "chub_" + 7 characters: enough to recognise a token, useless to guess it
NAME_MAX = 80
# Recording every use would turn each API read into a write; once a minute is plenty
# to answer "is this token still in use?".
LAST_USED_GRANULARITY = timedelta(minutes=1)

_INVALID = N_("The token is invalid, expired or revoked. Create a new one.")


def hash_secret(secret: str) -> str:
    """The stored form of a token secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def clean_token_name(raw: str) -> str:
    """A token label: trimmed, 1 to 80 characters."""
    if not raw.strip():
        raise ValidationError(_("Give the token a name."), field_errors={"name": _("This field is required.")})
    value = " ".join(raw.split())
    if len(value) > NAME_MAX:
        raise ValidationError(
            _("Keep the name under %(limit)d characters.", limit=NAME_MAX),
            field_errors={"name": _("At most %(limit)d characters.", limit=NAME_MAX)},
        )
    return value


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret (shown once, never stored)."""
    label = clean_token_name(name)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    days = int(current_app.config.get("API_TOKEN_DAYS", 90))
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    record(
        session,
        actor=user,
        action="api_token.created",
        obj=token,
        after={"name": label, "prefix": token.prefix},
        now=now,
    )
    session.commit()
    return token, secret


def tokens_query(user: User) -> Select[tuple[ApiToken]]:
    """The select of ``user``'s tokens (all of them, revoked and expired included)."""
    return select(ApiToken).where(ApiToken.user_id == user.id)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first."""
    return list(session.scalars(tokens_query(user).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of ``user``'s tokens. Another user's token is a NotFound; revoking twice is a no-op."""
    token = session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if token is None or not token.can_view(user):
        raise NotFound(_("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = now
        record(
            session, actor=user, action="api_token.revoked", obj=token, after={"revoked_at": token.revoked_at}, now=now
        )
        session.commit()
    return token


@dataclass(frozen=True)
class UsableToken:
    """A checked token: its id and last use (for ``touch_token``) and its owner."""

    id: int
    last_used_at: datetime | None
    user: User


@functools.cache
def _owner_by_token_hash() -> Select[tuple[User, int, datetime, datetime | None, datetime | None]]:
    """One statement: the token's owner with their business membership (every API request reads
    ``user.business_id``) and the token's columns the check needs, not the token as an object
    (a third entity costs more than its four columns). Built once: every API request runs it,
    and building a statement costs about as much as running it."""
    return (
        select(User, ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
        .options(joinedload(User.membership))
    )


def find_usable_token(session: Session, secret: str, now: datetime) -> UsableToken:
    """The token for ``secret`` if it is usable and its owner active; AuthenticationFailed otherwise."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        raise AuthenticationFailed(_(_INVALID), code="invalid_token")
    row = session.execute(_owner_by_token_hash(), {"token_hash": hash_secret(secret)}).one_or_none()
    if row is None:
        raise AuthenticationFailed(_(_INVALID), code="invalid_token")
    user, token_id, expires_at, revoked_at, last_used_at = row
    if not ApiToken.usable(expires_at=expires_at, revoked_at=revoked_at, now=now):
        raise AuthenticationFailed(_(_INVALID), code="invalid_token")
    if user.status != AccountStatus.ACTIVE:
        raise AuthenticationFailed(_("This account is suspended. Contact support."), code="account_suspended")
    return UsableToken(token_id, last_used_at, user)


def touch_token(session: Session, token: UsableToken, now: datetime) -> None:
    """Record a use at most once per ``LAST_USED_GRANULARITY``.

    A conditional UPDATE rather than read-modify-write, so concurrent requests with the
    same token do not all write; the common case (used a moment ago) writes nothing.
    """
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    token_id, threshold = token.id, now - LAST_USED_GRANULARITY
    # End the lookup's read transaction so the UPDATE begins its own: on SQLite a
    # transaction that has read cannot start writing once another connection has
    # committed (it fails at once, the busy timeout does not apply).
    session.commit()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < threshold))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def authenticate_token(session: Session, secret: str, now: datetime) -> User:
    """The active user owning the usable token ``secret``; AuthenticationFailed otherwise."""
    token = find_usable_token(session, secret, now)
    touch_token(session, token, now)
    return token.user
