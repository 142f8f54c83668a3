"""The public booking form's own token, in place of the session's CSRF token.

Inside an iframe on another site the browser does not send the session cookie (``SameSite=Lax``),
so the session's CSRF token cannot be checked there. The confirm POST carries no ambient authority
(the booking is anonymous: the view never acts as a signed-in user), so it is exempt from the
session's CSRF check and carries this token instead: the offer's booking key and the instant the
form was served, signed with the app's secret. It stops forged or stale forms (a form older than
``MAX_AGE``, or made for another offer); the rate limit on the path stays. Time is injected.

The prospect's manage page (``manage_views``: reschedule, cancel, "my closer did not come") works the
same way: its forms carry ``issue_manage``'s token, bound to the appointment's manage token (kept as
a digest) and expiring like the booking form's, in place of the session's CSRF token. Those forms
act with the link's authority only (never a signed-in user's), so a forger needs the secret link
itself, and then still a fresh token signed by the app for that very link.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "public-booking-form"
MANAGE_SALT = "prospect-manage-form"
MAX_AGE = timedelta(hours=2)
CLOCK_SKEW = timedelta(minutes=1)


def _serializer(secret_key: str, salt: str = SALT) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=salt)


def _issue(secret_key: str, salt: str, kind: str, subject: str, now: datetime) -> str:
    return str(_serializer(secret_key, salt).dumps({kind: subject, "at": int(now.timestamp())}))


def _is_valid(secret_key: str, salt: str, kind: str, subject: str, token: str | None, now: datetime) -> bool:
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        return False
    try:
        data = _serializer(secret_key, salt).loads(token)
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get(kind) != subject or not isinstance(data.get("at"), int):
        return False
    age = now - datetime.fromtimestamp(data["at"], tz=now.tzinfo)
    return -CLOCK_SKEW <= age <= MAX_AGE


def issue(secret_key: str, booking_key: str, now: datetime) -> str:
    """A token for the confirm form of the offer ``booking_key`` served at ``now``."""
    return _issue(secret_key, SALT, "offer", booking_key, now)


def is_valid(secret_key: str, booking_key: str, token: str | None, now: datetime) -> bool:
    """Whether ``token`` was issued by this app for ``booking_key`` less than ``MAX_AGE`` before ``now``."""
    return _is_valid(secret_key, SALT, "offer", booking_key, token, now)


def _link(manage_token: str) -> str:
    return hashlib.sha256(manage_token.encode()).hexdigest()[:32]  # the link itself stays out of the form


def issue_manage(secret_key: str, manage_token: str, now: datetime) -> str:
    """A token for the forms of the manage page reached by ``manage_token``, served at ``now``."""
    return _issue(secret_key, MANAGE_SALT, "link", _link(manage_token), now)


def is_valid_manage(secret_key: str, manage_token: str, token: str | None, now: datetime) -> bool:
    """Whether ``token`` was issued for the manage page of ``manage_token`` less than ``MAX_AGE`` before ``now``."""
    return _is_valid(secret_key, MANAGE_SALT, "link", _link(manage_token), token, now)
