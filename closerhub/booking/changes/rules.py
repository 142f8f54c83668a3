"""Who may change a booked call, and when: the checks a reschedule, a cancel and a hand-over share.

``check_actor`` answers visibility (404) and whether the business's change policy applies
(not to admins and the system); ``check_policy`` is that policy (notice, reschedule limit,
reason); ``require_booked`` refuses a call that is no longer booked, with a sentence per status.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.core.i18n import N_, _, ngettext

ACTOR_LABELS = frozenset({"prospect", "closer", "business", "admin", "system"})
EXEMPT_LABELS = frozenset({"admin", "system"})
REASON_MAX = 1000
# Why a call that is no longer booked cannot change: (status, rescheduling) → the whole sentence,
# for every status but BOOKED.
_NOT_BOOKED: dict[tuple[AppointmentStatus, bool], str] = {
    (AppointmentStatus.CANCELLED, True): N_("This call is cancelled; it can no longer be moved."),
    (AppointmentStatus.CANCELLED, False): N_("This call is cancelled; it can no longer be cancelled."),
    (AppointmentStatus.COMPLETED, True): N_("This call is completed; it can no longer be moved."),
    (AppointmentStatus.COMPLETED, False): N_("This call is completed; it can no longer be cancelled."),
    (AppointmentStatus.NO_SHOW, True): N_("This call is no show; it can no longer be moved."),
    (AppointmentStatus.NO_SHOW, False): N_("This call is no show; it can no longer be cancelled."),
}


def check_actor(appointment: Appointment, actor: User | None, actor_label: str) -> bool:
    """Visibility (404) and whether the policy applies (False for admins and the system)."""
    if actor_label not in ACTOR_LABELS:
        raise ValueError(f"unknown actor_label {actor_label!r}")
    if actor is not None and not appointment.can_view(actor):
        raise NotFound(_("Appointment not found."))
    return not ((actor is not None and actor.is_admin) or actor_label in EXEMPT_LABELS)


def check_policy(appointment: Appointment, reason: str, now: datetime, *, rescheduling: bool) -> None:
    """The business's change policy; Conflict (409) for state and timing, ValidationError (422) for the reason."""
    business = appointment.business
    if appointment.starts_at <= now:
        message = (
            _("This call has already started; it can no longer be moved.")
            if rescheduling
            else _("This call has already started; it can no longer be cancelled.")
        )
        raise Conflict(message, code="change_too_late")
    notice = timedelta(minutes=business.change_notice_minutes)
    if appointment.starts_at - now < notice:
        hours = f"{business.change_notice_minutes / 60:g}"
        message = (
            _("Calls can only be moved at least %(hours)s hour(s) before they start.", hours=hours)
            if rescheduling
            else _("Calls can only be cancelled at least %(hours)s hour(s) before they start.", hours=hours)
        )
        raise Conflict(message, code="change_too_late")
    if rescheduling and appointment.reschedule_count >= business.max_reschedules:
        raise Conflict(
            ngettext(
                "This call was already moved %(num)d time(s), the most this business allows.",
                "This call was already moved %(num)d time(s), the most this business allows.",
                appointment.reschedule_count,
            ),
            code="reschedule_limit",
        )
    if business.change_reason_required and not reason:
        raise ValidationError(_("Please give a reason."), field_errors={"reason": _("Please give a reason.")})


def require_booked(appointment: Appointment, *, rescheduling: bool) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(_(_NOT_BOOKED[(appointment.status, rescheduling)]), code="appointment_not_booked")
