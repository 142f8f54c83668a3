"""A business's change policy for booked calls: minimum notice, reason required, how many moves.

``booking.changes`` applies it to prospects, closers and the team alike (admins excepted);
here it is only validated and set. The database CHECK constraints mirror the bounds.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.businesses.commands import ChangePolicy
from closerhub.businesses.models import Business
from closerhub.businesses.service import collect
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _

NOTICE_MAX_MINUTES = 20160  # two weeks
RESCHEDULES_MAX = 10

_WHOLE_NUMBER = N_("Enter a whole number from %(low)d to %(high)d.")


def _int_between(raw: int, field: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    if not low <= raw <= high:
        message = _(_WHOLE_NUMBER, low=low, high=high)
        raise ValidationError(message, field_errors={field: message})
    return raw


def clean_change_policy(policy: ChangePolicy) -> dict[str, object]:
    """The policy's fields checked together (one ValidationError naming every bad one)."""
    return collect(
        (
            (
                "change_notice_minutes",
                lambda: _int_between(policy.change_notice_minutes, "change_notice_minutes", 0, NOTICE_MAX_MINUTES),
            ),
            ("change_reason_required", lambda: policy.change_reason_required),
            ("max_reschedules", lambda: _int_between(policy.max_reschedules, "max_reschedules", 0, RESCHEDULES_MAX)),
        )
    )


def set_change_policy(session: Session, actor: User, business: Business, policy: ChangePolicy) -> Business:
    """Check and set the policy on ``business`` without committing (the profile save commits both at once)."""
    if not business.can_view(actor):
        raise NotFound(_("Business not found."))
    if not business.can_edit(actor):
        raise PermissionDenied(_("Only the owner of the business can change its policy."))
    for key, value in clean_change_policy(policy).items():
        setattr(business, key, value)
    return business
