"""Domain errors: each carries a message fit for the user and the HTTP status it maps to.

Services raise these; the HTML views flash ``message`` and show the form again, the API
turns them into RFC 9457 problem details. ``field_errors`` names the offending inputs.
``message`` is translated where the error is raised; ``title`` is only marked (``N_``):
whoever shows it translates it with ``_(exc.title)``.
"""

from __future__ import annotations

from closerhub.core.i18n import N_


class DomainError(Exception):
    """Base of all domain errors."""

    status: int = 400
    code: str = "domain_error"
    title: str = N_("Request could not be completed")

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, str] = dict(field_errors or {})
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Input is malformed or breaks a rule (HTTP 422)."""

    status = 422
    code = "validation_error"
    title = N_("Invalid input")


class NotFound(DomainError):
    """The object does not exist, or the caller may not know it exists (HTTP 404)."""

    status = 404
    code = "not_found"
    title = N_("Not found")


class PermissionDenied(DomainError):
    """The caller is known but not allowed to do this (HTTP 403)."""

    status = 403
    code = "forbidden"
    title = N_("Not allowed")


class Conflict(DomainError):
    """The request clashes with the current state (HTTP 409): slot taken, state change refused."""

    status = 409
    code = "conflict"
    title = N_("Conflict")


class AuthenticationFailed(DomainError):
    """Credentials are missing or wrong (HTTP 401). The message never says which part was wrong."""

    status = 401
    code = "unauthenticated"
    title = N_("Authentication required")
