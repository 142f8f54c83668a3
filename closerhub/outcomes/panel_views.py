"""The outcome panel of a call's page (``booking.views.add_call_panel``; the app factory adds it).

Booking's call page names no outcome: this module gives it the template
``outcomes/_call_panel.html`` and what that reads: the outcome, its review, what the viewer may
do next, and the blank forms (a refused dispute or review comes back with its errors instead).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.booking.pages.display import iso_z
from closerhub.extensions import db
from closerhub.forms_util import ActionForm
from closerhub.outcomes import reviews
from closerhub.outcomes.forms import DisputeForm, ReviewForm
from closerhub.outcomes.models import OutcomeResult, OutcomeStatus
from closerhub.outcomes.service import outcome_of

TEMPLATE = "outcomes/_call_panel.html"


def outcome_panel(appointment: Appointment, user: User, now: datetime) -> dict[str, Any]:
    """The outcome part of a call's page: what the viewer may do next about it.

    The closer records the outcome once the call has started (then sees its summary, and a
    follow-up at the next step in one click); the business confirms or disputes a recorded
    outcome, and rates the closer after a won or lost one.
    """
    outcome = outcome_of(db.session, appointment.id)
    is_closer = user.id == appointment.closer_id
    is_business = user.business_id is not None and user.business_id == appointment.business_id
    review = reviews.review_of(db.session, outcome) if outcome is not None else None
    follow_up_at = None
    if (
        is_closer
        and outcome is not None
        and outcome.result == OutcomeResult.FOLLOW_UP
        and outcome.next_step_at is not None
        and outcome.next_step_at > now
    ):
        follow_up_at = outcome.next_step_at
    return {
        "outcome": outcome,
        "review": review,
        "call_started": now >= appointment.starts_at,
        "can_record": is_closer
        and outcome is None
        and appointment.status != AppointmentStatus.CANCELLED
        and now >= appointment.starts_at,
        "can_settle": is_business and outcome is not None and outcome.status == OutcomeStatus.RECORDED,
        "can_review": is_business
        and outcome is not None
        and review is None
        and outcome.result in reviews.REVIEWABLE
        and outcome.status != OutcomeStatus.VOIDED,
        "follow_up_at": follow_up_at,
        "follow_up_start": iso_z(follow_up_at) if follow_up_at else None,
        "action_form": ActionForm(formdata=None),
        "dispute_form": DisputeForm(formdata=None),
        "review_form": ReviewForm(formdata=None),
    }
