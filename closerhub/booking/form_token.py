"""The public booking form's own token, in place of the session's CSRF token.

Inside an iframe on another site the browser does not send the session cookie (``SameSite=Lax``),
so the session's CSRF token cannot be checked there. The confirm POST carries no ambient authority
(the booking is anonymous: the view never acts as a signed-in user), so it is exempt from the
session's CSRF check and carries this token instead: the offer's booking key and the instant the
form was served, signed with the app's secret. It stops forged or stale forms (a form older than
``MAX_AGE``, or made for another offer); the rate limit on the path stays. Time is injected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "public-booking-form"
MAX_AGE = timedelta(hours=2)
CLOCK_SKEW = timedelta(minutes=1)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def issue(secret_key: str, booking_key: str, now: datetime) -> str:
    """A token for the confirm form of the offer ``booking_key`` served at ``now``."""
    return str(_serializer(secret_key).dumps({"offer": booking_key, "at": int(now.timestamp())}))


def is_valid(secret_key: str, booking_key: str, token: object, now: datetime) -> bool:
    """Whether ``token`` was issued by this app for ``booking_key`` less than ``MAX_AGE`` before ``now``."""
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        return False
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("offer") != booking_key or not isinstance(data.get("at"), int):
        return False
    age = now - datetime.fromtimestamp(data["at"], tz=now.tzinfo)
    return -CLOCK_SKEW <= age <= MAX_AGE
