"""A business's change policy for booked calls: minimum notice, reason required, how many moves.

``booking.changes`` applies it to prospects, closers and the team alike (admins excepted);
here it is only validated and set. The database CHECK constraints mirror the bounds.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.businesses.service import collect
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError

NOTICE_MAX_MINUTES = 20160  # two weeks
RESCHEDULES_MAX = 10


def _int_between(raw: object, field: str, low: int, high: int, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationError(f"Enter {what}.", field_errors={field: f"Enter a whole number from {low} to {high}."})
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError(
            f"Enter {what}.", field_errors={field: f"Enter a whole number from {low} to {high}."}
        ) from None
    if not low <= value <= high:
        message = f"Enter a whole number from {low} to {high}."
        raise ValidationError(message, field_errors={field: message})
    return value


def clean_change_policy(
    *, change_notice_minutes: object, change_reason_required: object, max_reschedules: object
) -> dict[str, object]:
    """The three policy fields checked together (one ValidationError naming every bad one)."""
    return collect(
        (
            (
                "change_notice_minutes",
                lambda: _int_between(
                    change_notice_minutes, "change_notice_minutes", 0, NOTICE_MAX_MINUTES, "the notice in minutes"
                ),
            ),
            ("change_reason_required", lambda: _bool(change_reason_required)),
            (
                "max_reschedules",
                lambda: _int_between(max_reschedules, "max_reschedules", 0, RESCHEDULES_MAX, "the number of moves"),
            ),
        )
    )


def _bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        message = "Choose yes or no."
        raise ValidationError(message, field_errors={"change_reason_required": message})
    return raw


def set_change_policy(
    session: Session,
    actor: User,
    business: Business,
    *,
    change_notice_minutes: object,
    change_reason_required: object,
    max_reschedules: object,
) -> Business:
    """Check and set the policy on ``business`` without committing (the profile save commits both at once)."""
    if not business.can_view(actor):
        raise NotFound("Business not found.")
    if not business.can_edit(actor):
        raise PermissionDenied("Only the owner of the business can change its policy.")
    values = clean_change_policy(
        change_notice_minutes=change_notice_minutes,
        change_reason_required=change_reason_required,
        max_reschedules=max_reschedules,
    )
    for key, value in values.items():
        setattr(business, key, value)
    return business
