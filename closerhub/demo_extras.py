"""What ``seed-demo`` adds once the timeline has run: the states of cash collection and show-up.

- a cash-collected deal's plan and its first collection (called from the timeline, ``plan_of`` and
  ``collect_first``): one instalment collected (its commission accrues in the closer's earnings),
  one overdue, one still due;
- an upcoming call whose prospect confirmed they will come (the others are not confirmed);
- a closer no-show reported by the business, waiting in the admin's queue;
- a lead who agreed to SMS reminders.

Each goes through the service the pages call, and is idempotent: it is done only when no row of
that kind exists yet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import consents
from closerhub.booking.attendance import no_shows
from closerhub.booking.attendance import service as attendance
from closerhub.booking.attendance.models import CloserNoShowReport
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.money import Money
from closerhub.leads.models import Lead
from closerhub.outcomes import instalments
from closerhub.outcomes.commands import PlannedInstalment
from closerhub.outcomes.models import Outcome


def plan_of(spec: dict[str, Any], today: date, currency: str) -> tuple[PlannedInstalment, ...] | None:
    """A staged outcome's payment plan: ``(days from today, amount)`` pairs, or None (one instalment)."""
    if "plan" not in spec:
        return None
    return tuple(PlannedInstalment(today + timedelta(days=d), Money(amount, currency)) for d, amount in spec["plan"])


def collect_first(session: Session, owner: User, outcome: Outcome, now: datetime) -> None:
    """The business marks the plan's first instalment collected (its money arrived today)."""
    first = instalments.instalments_of(session, outcome.id)[0]
    instalments.collect(session, owner, first.id, now.date(), now=now)


def seed_show_up(session: Session, owners: list[User], now: datetime) -> bool:
    """Attendance, a no-show report and an SMS consent, each once; True when something was added."""
    changed = False
    business_ids = [o.business_id for o in owners]
    upcoming = list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.business_id.in_(business_ids),
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    if upcoming and not any(a.prospect_confirmed_at for a in upcoming):
        with clock.frozen_at(now):
            attendance.confirm(session, upcoming[0], now=now)  # the prospect's "I'll be there" link
        changed = True
    with_phone = [a for a in upcoming if a.lead.phone_e164]
    consented = session.scalar(
        select(Lead.id).where(Lead.business_id.in_(business_ids), Lead.sms_consent_at.is_not(None)).limit(1)
    )
    if with_phone and consented is None:
        call = with_phone[-1]
        with clock.frozen_at(now):
            consents.record(
                session,
                call,
                phone=call.lead.phone_e164,
                sms=True,
                recording=False,
                jurisdiction=call.recording_jurisdiction,
                now=now,
            )
        changed = True
    if session.scalar(select(CloserNoShowReport.id).limit(1)) is None:
        missed = session.scalars(
            select(Appointment)
            .where(
                Appointment.business_id.in_(business_ids),
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.ends_at < now,
                ~exists().where(Outcome.appointment_id == Appointment.id),
            )
            .order_by(Appointment.starts_at.desc(), Appointment.id)
        ).first()
        if missed is not None:
            owner = next(o for o in owners if o.business_id == missed.business_id)
            with clock.frozen_at(now):
                no_shows.report(session, missed, reporter=owner, note="", now=now)
            changed = True
    return changed
