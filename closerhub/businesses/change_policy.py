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
from closerhub.core.i18n import N_, _

NOTICE_MAX_MINUTES = 20160  # two weeks
RESCHEDULES_MAX = 10

_WHOLE_NUMBER = N_("Enter a whole number from %(low)d to %(high)d.")


def _int_between(raw: object, field: str, low: int, high: int, missing: str) -> int:
    """A whole number from ``low`` to ``high``; ``missing`` (marked with ``N_``) is the error for a non-number."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationError(_(missing), field_errors={field: _(_WHOLE_NUMBER, low=low, high=high)})
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError(_(missing), field_errors={field: _(_WHOLE_NUMBER, low=low, high=high)}) from None
    if not low <= value <= high:
        message = _(_WHOLE_NUMBER, low=low, high=high)
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
                    change_notice_minutes,
                    "change_notice_minutes",
                    0,
                    NOTICE_MAX_MINUTES,
                    N_("Enter the notice in minutes."),
                ),
            ),
            ("change_reason_required", lambda: _bool(change_reason_required)),
            (
                "max_reschedules",
                lambda: _int_between(
                    max_reschedules, "max_reschedules", 0, RESCHEDULES_MAX, N_("Enter the number of moves.")
                ),
            ),
        )
    )


def _bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        message = _("Choose yes or no.")
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
        raise NotFound(_("Business not found."))
    if not business.can_edit(actor):
        raise PermissionDenied(_("Only the owner of the business can change its policy."))
    values = clean_change_policy(
        change_notice_minutes=change_notice_minutes,
        change_reason_required=change_reason_required,
        max_reschedules=max_reschedules,
    )
    for key, value in values.items():
        setattr(business, key, value)
    return business
