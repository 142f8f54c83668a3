"""What each role's dashboard shows: a first-run checklist that ends, the work waiting, the figures.

Every function is a fixed number of queries (counts and ``EXISTS``), whatever the data: the dashboards
stay within their statement budget (tests/integration/test_statement_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.booking.attendance.models import CloserNoShowReport, ReportStatus
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia
from closerhub.businesses.models import Business, Offer
from closerhub.calendars.models import CalendarConnection
from closerhub.closers.models import CloserProfile, WeeklyRule
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.payouts.details_models import PayoutDetails
from closerhub.payments.payouts.models import Payout, PayoutStatus
from closerhub.payments.stripe.models import ConnectAccount
from closerhub.vetting.models import CloserVetting, VettingStatus

RECENT_DAYS = 30


@dataclass(frozen=True)
class Step:
    """One first-run step: what to do, whether it is done, where to do it."""

    label: Any
    done: bool
    endpoint: str
    values: dict[str, Any]


def _exists(session: Session, stmt: Any) -> bool:
    return bool(session.scalar(select(exists(stmt))))


def business_steps(session: Session, business: Business) -> list[Step]:
    """Profile, an offer, an engaged closer, the booking link shared (a prospect booked through it)."""
    offers = select(Offer.id).where(Offer.business_id == business.id)
    return [
        Step(
            _l("Describe your business (industry, prospect languages)"),
            bool(business.industry and business.prospect_languages),
            "businesses.show",
            {"business_id": business.id},
        ),
        Step(_l("Write an offer and its closing script"), _exists(session, offers), "offers.new", {}),
        Step(
            _l("Engage a closer"),
            _exists(
                session,
                select(Engagement.id).where(
                    Engagement.business_id == business.id, Engagement.status == EngagementStatus.ACTIVE
                ),
            ),
            "matching.search",
            {},
        ),
        Step(
            _l("Share your booking link: a prospect books through it"),
            _exists(
                session,
                select(Appointment.id).where(
                    Appointment.business_id == business.id,
                    Appointment.booked_via.in_([BookedVia.BOOKING_PAGE, BookedVia.API]),
                ),
            ),
            "offers.index",
            {},
        ),
    ]


def closer_steps(session: Session, closer: User) -> list[Step]:
    """Profile, weekly availability, payout details (or a Stripe account that takes payouts), a calendar."""
    profile = session.scalar(select(CloserProfile).where(CloserProfile.user_id == closer.id))
    profile_done = bool(profile and profile.headline and profile.languages and profile.industries)
    payout_ready = _exists(session, select(PayoutDetails.id).where(PayoutDetails.closer_id == closer.id)) or _exists(
        session, select(ConnectAccount.id).where(ConnectAccount.closer_id == closer.id, ConnectAccount.payouts_enabled)
    )
    calendar = bool(profile and profile.calendar_feed_key) or _exists(
        session, select(CalendarConnection.id).where(CalendarConnection.closer_id == closer.id)
    )
    return [
        Step(_l("Complete your profile: languages, industries, headline"), profile_done, "closers.edit_profile", {}),
        Step(
            _l("Set your weekly availability"),
            _exists(session, select(WeeklyRule.id).where(WeeklyRule.closer_id == closer.id)),
            "closers.availability_page",
            {},
        ),
        Step(_l("Add your payout details"), payout_ready, "payouts_setup.show", {}),
        Step(_l("Connect your calendar"), calendar, "calendars.index", {}),
    ]


def closer_calls(session: Session, closer: User, now: datetime) -> dict[str, Any]:
    """The next call, and the calls that started without an outcome yet (oldest first)."""
    booked = (
        select(Appointment)
        .options(joinedload(Appointment.lead), joinedload(Appointment.offer))
        .where(Appointment.closer_id == closer.id, Appointment.status == AppointmentStatus.BOOKED)
    )
    following = session.scalars(booked.where(Appointment.starts_at > now).order_by(Appointment.starts_at).limit(1))
    awaiting = session.scalars(
        booked.where(
            Appointment.starts_at <= now,
            ~exists(select(Outcome.id).where(Outcome.appointment_id == Appointment.id)),
        )
        .order_by(Appointment.starts_at)
        .limit(10)
    )
    return {"next_call": following.first(), "awaiting_outcome": list(awaiting)}


def booking_links(session: Session, business: Business) -> list[Offer]:
    """The business's active offers, each with its public booking link."""
    stmt = select(Offer).where(Offer.business_id == business.id, Offer.is_active).order_by(Offer.id)
    return list(session.scalars(stmt))


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def admin_queues(session: Session) -> list[tuple[Any, int, str]]:
    """(label, how many wait, endpoint) for each admin queue."""
    return [
        (
            _l("Closers to vet"),
            _count(session, select(CloserVetting.closer_id).where(CloserVetting.status == VettingStatus.IN_REVIEW)),
            "admin.vetting_queue",
        ),
        (
            _l("Disputes to decide"),
            _count(session, select(Outcome.id).where(Outcome.status == OutcomeStatus.DISPUTED)),
            "outcomes.disputes",
        ),
        (
            _l("Closer no-shows to review"),
            _count(session, select(CloserNoShowReport.id).where(CloserNoShowReport.status == ReportStatus.PENDING)),
            "admin.no_show_queue",
        ),
        (
            _l("Charges to mark paid"),
            _count(session, select(Charge.id).where(Charge.status == ChargeStatus.MANUAL_DUE)),
            "money_desk.desk",
        ),
        (
            _l("Payouts to pay or retry"),
            _count(
                session,
                select(Payout.id).where(Payout.status.in_([PayoutStatus.MANUAL_PENDING, PayoutStatus.FAILED])),
            ),
            "admin_payouts.index",
        ),
    ]


def platform_figures(session: Session, now: datetime) -> list[tuple[Any, int]]:
    """Headline counts: active closers and businesses, calls and won deals of the last 30 days."""
    since = now - timedelta(days=RECENT_DAYS)
    active = User.status == AccountStatus.ACTIVE
    return [
        (_l("Active closers"), _count(session, select(User.id).where(User.role == Role.CLOSER, active))),
        (_l("Businesses"), _count(session, select(Business.id))),
        (
            _l("Calls in the last 30 days"),
            _count(
                session,
                select(Appointment.id).where(
                    Appointment.starts_at >= since,
                    Appointment.starts_at <= now,
                    Appointment.status != AppointmentStatus.CANCELLED,
                ),
            ),
        ),
        (
            _l("Deals won in the last 30 days"),
            _count(
                session,
                select(Outcome.id).where(
                    Outcome.result == "won",
                    Outcome.recorded_at >= since,
                    Outcome.status.in_([OutcomeStatus.CONFIRMED, OutcomeStatus.RESOLVED, OutcomeStatus.RECORDED]),
                ),
            ),
        ),
    ]
