"""Seeding for ``test_statement_counts.py``: calls, outcomes and money, 1 row then 199 more, by bulk inserts.

Rows are numbered ``start`` .. ``start + n - 1`` so a second call adds new rows. The models are
used directly (the services' rules are not under test there, and 200 service calls would be slow).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.booking.models import Appointment, AppointmentEvent, BookedVia, Channel
from closerhub.businesses.models import Business, Offer
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus, Review
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts.models import Payout, PayoutRun, PayoutStatus, RunMode, RunStatus
from tests.factories_booking import BookingWorld

WEEK = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # Monday 7 December 2026
NOW = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)  # the week after: every seeded call has happened
BEFORE = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # the day before: every seeded call is upcoming


@dataclass
class Scene:
    """One business with an offer and a closer engaged on it, and everyone's clients."""

    world: BookingWorld
    admin: User
    web: dict[str, FlaskClient]
    api: dict[str, dict[str, str]]


def _parties(s: Scene, i: int) -> tuple[Business, Offer, Engagement, User]:
    """A business of its own (with an offer) and a closer of its own engaged on it, for row ``i``."""
    business = Business(name=f"Business {i}", timezone="UTC", currency="EUR", created_at=NOW)
    offer = Offer(
        business=business,
        name=f"Offer of business {i}",
        price_amount=250000,
        price_currency="EUR",
        booking_key=f"spread-{i}-{secrets.token_hex(4)}",
        created_at=NOW,
        updated_at=NOW,
    )
    closer = User(
        email=f"spread.closer{i}@example.com",
        name=f"Spread Closer {i}",
        password_hash=s.admin.password_hash,
        role=Role.CLOSER,
        status=AccountStatus.ACTIVE,
        timezone="Europe/Paris",
        language="en",
        created_at=NOW,
    )
    engagement = Engagement(
        business=business,
        offer=offer,
        closer=closer,
        commission_rate_bps=1500,
        status=EngagementStatus.ACTIVE,
        proposed_at=NOW - timedelta(days=30),
        accepted_at=NOW - timedelta(days=30),
    )
    return business, offer, engagement, closer


def seed_calls_of_one_lead(s: Scene, start: int, n: int) -> None:
    """``n`` calls, all with the first seeded lead (a lead's page lists them)."""
    calls = seed_calls(s, start, n)
    first = db.session.get(Appointment, 1)
    assert first is not None
    for call in calls:
        call.lead_id = first.lead_id
    db.session.commit()


def seed_calls(s: Scene, start: int, n: int, *, spread: bool = False) -> list[Appointment]:
    """``n`` booked calls in the week of 7 December, each with its lead and ``booked`` event: the
    closer's, or with ``spread`` each of another business and closer (an admin's lists)."""
    w = s.world
    calls = []
    for i in range(start, start + n):
        begins = WEEK + timedelta(minutes=40 * i)
        business, offer, engagement, closer = (
            _parties(s, i) if spread else (w.business, w.offer, w.engagement, w.closer)
        )
        lead = Lead(
            business=business,
            name=f"Lead {i}",
            email=f"lead{i}@prospect.example",
            timezone="America/New_York",
            created_at=begins - timedelta(days=3),
            updated_at=begins - timedelta(days=3),
        )
        call = Appointment(
            uid=f"call-{i}@closerhub.test",
            business=business,
            offer=offer,
            engagement=engagement,
            closer=closer,
            lead=lead,
            starts_at=begins,
            ends_at=begins + timedelta(minutes=30),
            blocked_until=begins + timedelta(minutes=30),
            channel=Channel.VIDEO,
            meeting_url="https://meet.example.com/room",
            prospect_timezone="America/New_York",
            answers=[],
            booked_via=BookedVia.BUSINESS,
            booked_by_id=w.owner.id,
            created_at=begins - timedelta(days=3),
            updated_at=begins - timedelta(days=3),
        )
        call.events.append(
            AppointmentEvent(kind="booked", at=begins - timedelta(days=3), actor_id=w.owner.id, actor_label="business")
        )
        calls.append(call)
    db.session.add_all(calls)
    db.session.commit()
    return calls


def seed_outcomes(s: Scene, start: int, n: int, *, spread: bool = False) -> list[Outcome]:
    """``n`` calls (``spread``: see ``seed_calls``), each with a won outcome the business disputes."""
    outcomes = []
    for call in seed_calls(s, start, n, spread=spread):
        outcomes.append(
            Outcome(
                appointment_id=call.id,
                closer_id=call.closer_id,
                business_id=call.business_id,
                engagement_id=call.engagement_id,
                result=OutcomeResult.WON,
                status=OutcomeStatus.DISPUTED,
                deal_amount=480000,
                deal_currency="EUR",
                rate_bps=1500,
                fee_bps=1000,
                commission_amount=72000,
                platform_fee_amount=7200,
                recorded_at=call.ends_at,
                recorded_by_id=call.closer_id,
                updated_at=call.ends_at,
                confirm_deadline=call.ends_at + timedelta(days=7),
                disputed_at=call.ends_at + timedelta(days=1),
                disputed_by_id=None if spread else s.world.owner.id,
                dispute_reason="No signature yet.",
            )
        )
    db.session.add_all(outcomes)
    db.session.commit()
    return outcomes


def seed_ledger(s: Scene, start: int, n: int) -> None:
    """``n`` outcomes, each with the closer's commission earned in the ledger."""
    for outcome in seed_outcomes(s, start, n):
        db.session.add(
            LedgerEntry(
                closer_id=outcome.closer_id,
                currency="EUR",
                bucket=Bucket.PENDING,
                amount=72000,
                kind=EntryKind.EARNED,
                outcome_id=outcome.id,
                memo=f"Commission {start}",
                created_at=NOW,
            )
        )
    db.session.commit()


def seed_reviews(s: Scene, start: int, n: int) -> None:
    """``n`` outcomes, each rated by the business."""
    for outcome in seed_outcomes(s, start, n):
        db.session.add(
            Review(
                appointment_id=outcome.appointment_id,
                outcome_id=outcome.id,
                business_id=outcome.business_id,
                closer_id=outcome.closer_id,
                author_id=s.world.owner.id,
                rating=5,
                comment="Great call, clear next steps.",
                created_at=NOW,
            )
        )
    db.session.commit()


def seed_charges(
    s: Scene, start: int, n: int, status: ChargeStatus = ChargeStatus.SUCCEEDED, *, spread: bool = False
) -> None:
    """``n`` outcomes, each with its charge to the business (paid by card unless ``status`` says otherwise)."""
    for outcome in seed_outcomes(s, start, n, spread=spread):
        db.session.add(
            Charge(
                business_id=outcome.business_id,
                outcome_id=outcome.id,
                amount=79200,
                commission=72000,
                platform_fee=7200,
                currency="EUR",
                status=status,
                transfer_group=f"outcome-{outcome.id}",
                paid_at=NOW if status == ChargeStatus.SUCCEEDED else None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    db.session.commit()


def seed_manual_charges(s: Scene, start: int, n: int) -> None:
    """``n`` charges the business is to pay by bank transfer (the money desk lists them)."""
    seed_charges(s, start, n, ChargeStatus.MANUAL_DUE)


def seed_failed_charges(s: Scene, start: int, n: int) -> None:
    """``n`` declined card charges (the money desk's overdue list)."""
    seed_charges(s, start, n, ChargeStatus.FAILED)


def seed_run_payouts(s: Scene, start: int, n: int) -> None:
    """``n`` more payouts of one manual run (run 1), each to another closer."""
    run = db.session.get(PayoutRun, 1) or PayoutRun(
        id=1, started_at=NOW, finished_at=NOW, status=RunStatus.FINISHED, mode=RunMode.MANUAL, triggered_by="worker"
    )
    for i in range(start, start + n):
        closer = _parties(s, i)[3]
        run.payouts.append(
            Payout(closer=closer, currency="EUR", amount=1000 + i, status=PayoutStatus.MANUAL_PENDING, created_at=NOW)
        )
    db.session.add(run)
    db.session.commit()


def seed_spread_calls(s: Scene, start: int, n: int) -> None:
    """``n`` calls, each of another business and closer."""
    seed_calls(s, start, n, spread=True)


def seed_spread_outcomes(s: Scene, start: int, n: int) -> None:
    """``n`` disputed outcomes, each of another business and closer."""
    seed_outcomes(s, start, n, spread=True)


def seed_spread_manual_charges(s: Scene, start: int, n: int) -> None:
    """``n`` charges due by bank transfer, each from another business."""
    seed_charges(s, start, n, ChargeStatus.MANUAL_DUE, spread=True)


def seed_payouts(s: Scene, start: int, n: int) -> None:
    """``n`` finished manual payout runs, each paying the closer once."""
    for i in range(start, start + n):
        run = PayoutRun(
            started_at=NOW - timedelta(days=i + 1),
            finished_at=NOW - timedelta(days=i + 1),
            status=RunStatus.FINISHED,
            mode=RunMode.MANUAL,
            triggered_by="worker",
        )
        run.payouts.append(
            Payout(
                closer_id=s.world.closer.id,
                currency="EUR",
                amount=72000 + i,
                status=PayoutStatus.MANUAL_PAID,
                created_at=NOW - timedelta(days=i + 1),
                paid_at=NOW - timedelta(days=i),
            )
        )
        db.session.add(run)
    db.session.commit()
