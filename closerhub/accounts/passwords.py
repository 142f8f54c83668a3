"""Password hashing (Argon2id) and the password rules shown to users."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher()  # Argon2id with the library's OWASP-aligned defaults


def use_fast_hashing() -> None:
    """Cheap Argon2 parameters for the test-suite only (hashes stay valid Argon2id)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash = None


# A handful of the most common passwords that still meet the length rule.
_COMMON = {
    "1234567890",
    "123456789a",
    "password12",
    "password123",
    "qwertyuiop",
    "iloveyou12",
    "passw0rd12",
    "abcdefghij",
    "0987654321",
    "1q2w3e4r5t",
    "motdepasse",
    "azertyuiop",
}

# A valid hash of a random password, verified when the user is unknown so that a
# failed login costs the same time whether or not the email exists (no enumeration). Made with
# the hasher in use, so it costs what a real user's hash costs; made by ``prepare_dummy_hash``
# when the app is created, not at import (an Argon2 hash with the full parameters is ~0.1 s of
# CPU that every process importing the app, every test process too, paid for nothing).
_dummy_hash: str | None = None


def prepare_dummy_hash() -> str:
    """The hash verified for an unknown user, made once per hasher."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password-0xC10SE")
    return _dummy_hash


def check_rules(password: str, *, email: str = "", field: str = "password") -> None:
    """Raise ValidationError unless ``password`` meets the rules."""
    problem = None
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        problem = _("Use at least %(limit)d characters.", limit=MIN_LENGTH)
    elif len(password) > MAX_LENGTH:
        problem = _("Use at most %(limit)d characters.", limit=MAX_LENGTH)
    elif len(set(password)) < 4:
        problem = _("Use a less repetitive password.")
    elif password.lower() in _COMMON:
        problem = _("This password is too common.")
    elif email and password.lower() == email.lower():
        problem = _("Your password cannot be your email address.")
    if problem:
        raise ValidationError(problem, field_errors={field: problem})


def hash_password(password: str) -> str:
    """An Argon2id hash (salted, with its parameters encoded in the string)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-effort check; an unknown user (``None``) still costs one verification."""
    try:
        return _hasher.verify(password_hash or prepare_dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
