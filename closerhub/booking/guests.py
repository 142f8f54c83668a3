"""Guests the prospect invites to their call: up to 5 ``Guest`` (name, email), each emailed the invite
(an ``ATTENDEE`` of the ICS) and told of reschedules and cancellations, like the prospect but
without the manage link (only the prospect moves or cancels the call).
"""

from __future__ import annotations

from closerhub.accounts.service import clean_name, normalize_email
from closerhub.booking.commands import Guest
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

GUESTS_MAX = 5


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def clean_guests(guests: tuple[Guest, ...], prospect_email: str | None) -> list[dict[str, str]]:
    """The guests as given (name and email cleaned), duplicates of an address dropped; none may be the
    prospect's own address. Errors name ``guests[i].name`` / ``guests[i].email``."""
    if len(guests) > GUESTS_MAX:
        raise _fail("guests", _("Invite at most %(limit)d guests.", limit=GUESTS_MAX))
    own = (prospect_email or "").strip().lower()
    out: list[dict[str, str]] = []
    for i, item in enumerate(guests):
        try:
            name = clean_name(item.name, field=f"guests[{i}].name")
            email = normalize_email(item.email, field=f"guests[{i}].email")
        except ValidationError as exc:
            raise ValidationError(
                _("Check the guests: %(message)s", message=exc.message), field_errors=exc.field_errors
            ) from None
        if email == own:
            raise _fail(f"guests[{i}].email", _("That is your own address: the invite already goes to you."))
        if email not in {g["email"] for g in out}:
            out.append({"name": name, "email": email})
    return out


def guests_from_form(names: list[str], emails: list[str]) -> tuple[Guest, ...]:
    """The booking form's guest rows (``guest_name``/``guest_email`` pairs), empty rows left out."""
    return tuple(
        Guest(name=name, email=email)
        for name, email in zip(names, emails, strict=False)
        if (name or "").strip() or (email or "").strip()
    )


def guest_rows(names: list[str], emails: list[str]) -> list[dict[str, str]]:
    """The confirm form's 5 guest rows, with what the prospect typed (``guest_name``/``guest_email`` of a POST
    shown again)."""
    return [
        {"name": names[i] if i < len(names) else "", "email": emails[i] if i < len(emails) else ""}
        for i in range(GUESTS_MAX)
    ]
