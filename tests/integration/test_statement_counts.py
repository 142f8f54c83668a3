"""Every list page and API list runs as many SQL statements for 200 rows as for 1 (no query per row).

Each case seeds one row of what the page lists, counts the statements of one request, seeds
199 more (bulk inserts through the models: the services' rules are not under test here),
counts again and wants the same number. A difference is a lazy load per row (N+1); the
failure message lists the statements of the 200-row request so the repeated one shows.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import AccountStatus, ApiToken, Role, User
from closerhub.audit.models import AuditEntry
from closerhub.booking.models import Appointment, AppointmentEvent, BookedVia, Channel, Lead
from closerhub.businesses.models import Business, BusinessMember, MemberRole, Offer
from closerhub.closers.models import (
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    LanguageLevel,
)
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus, Review
from closerhub.payments.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.models_charges import Charge, ChargeStatus
from closerhub.payments.models_payouts import Payout, PayoutRun, PayoutStatus, RunMode, RunStatus
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import PASSWORD, AuthActions, UserFactory
from tests.factories_booking import BookingWorld, make_world
from tests.fixtures.statements import StatementCounter

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
    seeded: dict[str, int]


@pytest.fixture
def scene(app: Flask, make_user: UserFactory) -> Iterator[Scene]:
    with clock.frozen_at(NOW):
        world = make_world(make_user, closer_zone="UTC", owner_zone="UTC")
        admin = make_user("admin", email="admin@example.com")
        users = {"closer": world.closer, "business": world.owner, "admin": admin}
        web = {}
        for role, user in users.items():
            web[role] = app.test_client()
            assert AuthActions(web[role]).login(user.email, PASSWORD).status_code == 302
        api = {role: {"Authorization": f"Bearer {_token(user)}"} for role, user in users.items()}
        yield Scene(world, admin, web, api, {})


def _token(user: User) -> str:
    return tokens.create_token(db.session, user, "statements", NOW)[1]


# --- seeding: rows number ``start`` .. ``start + n - 1`` of each kind ---------------------------------


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


def seed_engagements(s: Scene, start: int, n: int) -> None:
    """``n`` more offers of the business, the closer engaged on each."""
    w = s.world
    for i in range(start, start + n):
        offer = Offer(
            business_id=w.business.id,
            name=f"Offer {i}",
            price_amount=100000 + i,
            price_currency="EUR",
            booking_key=f"key-{i}-{secrets.token_hex(4)}",
            created_at=NOW,
            updated_at=NOW,
        )
        db.session.add(offer)
        db.session.add(
            Engagement(
                business_id=w.business.id,
                offer=offer,
                closer_id=w.closer.id,
                commission_rate_bps=1500,
                status=EngagementStatus.ACTIVE,
                proposed_at=NOW,
                proposed_by_id=w.owner.id,
                accepted_at=NOW,
            )
        )
    db.session.commit()


def seed_users(s: Scene, start: int, n: int) -> None:
    """``n`` closers waiting in the vetting queue (one password hash shared: hashing 200 would be slow)."""
    for i in range(start, start + n):
        user = User(
            email=f"seeded.user{i}@example.com",
            name=f"User {i}",
            password_hash=s.admin.password_hash,
            role=Role.CLOSER,
            status=AccountStatus.ACTIVE,
            timezone="UTC",
            language="en",
            created_at=NOW,
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(CloserVetting(closer_id=user.id, status=VettingStatus.IN_REVIEW, submitted_at=NOW))
    db.session.commit()


def seed_members(s: Scene, start: int, n: int) -> None:
    """``n`` members of the business's team."""
    for i in range(start, start + n):
        user = User(
            email=f"member{i}@acme.example",
            name=f"Member {i}",
            password_hash=s.admin.password_hash,
            role=Role.BUSINESS,
            status=AccountStatus.ACTIVE,
            timezone="UTC",
            language="en",
            created_at=NOW,
        )
        db.session.add(
            BusinessMember(business_id=s.world.business.id, user=user, role=MemberRole.MEMBER, created_at=NOW)
        )
    db.session.commit()


def seed_closers(s: Scene, start: int, n: int) -> None:
    """``n`` approved closers with a profile (French, SaaS) and a free slot tomorrow: what a search finds."""
    for i in range(start, start + n):
        user = User(
            email=f"seeded.closer{i}@example.com",
            name=f"Closer {i}",
            password_hash=s.admin.password_hash,
            role=Role.CLOSER,
            status=AccountStatus.ACTIVE,
            timezone="Europe/Paris",
            language="fr",
            created_at=NOW,
        )
        profile = CloserProfile(user=user, headline=f"Closer number {i}", bio="", created_at=NOW, updated_at=NOW)
        profile.languages.append(CloserLanguage(code="fr", level=LanguageLevel.NATIVE))
        profile.industries.append(CloserIndustry(industry="saas"))
        db.session.add_all([user, profile])
        db.session.flush()
        db.session.add(CloserVetting(closer_id=user.id, status=VettingStatus.APPROVED, submitted_at=NOW))
        db.session.add(
            AvailabilitySummary(
                closer_id=user.id,
                next_available_at=NOW + timedelta(days=1),
                free_slots_7d=3,
                free_slots_14d=6,
                weekly_minutes=[],
                weekly_hours_mask="0" * 42,
                refreshed_at=NOW,
            )
        )
    db.session.commit()


def seed_audit(s: Scene, start: int, n: int) -> None:
    """``n`` audit rows by the admin about the closer."""
    for i in range(start, start + n):
        db.session.add(
            AuditEntry(
                at=NOW - timedelta(minutes=i),
                actor_id=s.admin.id,
                actor_label="Ada <admin@example.com> (admin)",
                action="test.bulk",
                object_type="user",
                object_id=str(s.world.closer.id),
                after={"i": i},
            )
        )
    db.session.commit()


def seed_outbox(s: Scene, start: int, n: int) -> None:
    """``n`` sent emails in the outbox."""
    for i in range(start, start + n):
        db.session.add(
            OutboxMessage(
                to_address=f"lead{i}@prospect.example",
                cc=[],
                subject=f"Message {i}",
                text_body="Hello",
                html_body="<p>Hello</p>",
                attachments=[],
                template="test",
                language="en",
                message_id=f"<m{i}@closerhub.test>",
                status=OutboxStatus.SENT,
                attempts=1,
                created_at=NOW - timedelta(minutes=i),
                sent_at=NOW - timedelta(minutes=i),
            )
        )
    db.session.commit()


def seed_tokens(s: Scene, start: int, n: int) -> None:
    """``n`` more API tokens of each of the three users."""
    for user in (s.world.closer, s.world.owner, s.admin):
        for i in range(start, start + n):
            db.session.add(
                ApiToken(
                    user_id=user.id,
                    name=f"token {i}",
                    token_hash=hashlib.sha256(f"{user.id}-{i}".encode()).hexdigest(),
                    prefix=f"chk_{i:08d}",
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=30),
                )
            )
    db.session.commit()


@dataclass(frozen=True)
class Case:
    """One list: who asks (``role``; web page or API), what it lists (``seed``), where."""

    role: str
    path: str
    seed: Callable[[Scene, int, int], Any]
    api: bool = False
    now: datetime = NOW  # BEFORE for lists of upcoming calls

    def request(self, s: Scene) -> Any:
        path = self.path.format(business_id=s.world.business.id, closer_id=s.world.closer.id)
        if self.api:
            return s.web[self.role].get(path, headers=s.api[self.role])
        return s.web[self.role].get(path)


CASES = {
    # the closer's week and the call lists of every role
    "closer week schedule": Case("closer", "/schedule?week=2026-12-07", seed_calls),
    "closer appointments page": Case("closer", "/appointments", seed_calls, now=BEFORE),
    "business appointments page": Case("business", "/appointments", seed_calls, now=BEFORE),
    "admin appointments page": Case("admin", "/appointments", seed_calls, now=BEFORE),
    "closer appointments API": Case("closer", "/api/v1/appointments", seed_calls, api=True),
    "business appointments API": Case("business", "/api/v1/appointments", seed_calls, api=True),
    "admin appointments API": Case("admin", "/api/v1/appointments", seed_calls, api=True),
    "admin appointments page, many businesses": Case("admin", "/appointments", seed_spread_calls, now=BEFORE),
    "admin appointments API, many businesses": Case("admin", "/api/v1/appointments", seed_spread_calls, api=True),
    "admin engagements page, many businesses": Case("admin", "/engagements?status=all", seed_spread_calls),
    "admin engagements API, many businesses": Case("admin", "/api/v1/engagements", seed_spread_calls, api=True),
    "dashboard of the closer": Case("closer", "/dashboard", seed_calls, now=BEFORE),
    "dashboard of the business": Case("business", "/dashboard", seed_calls, now=BEFORE),
    "dashboard of the closer with engagements": Case("closer", "/dashboard", seed_engagements),
    "dashboard of the business with engagements": Case("business", "/dashboard", seed_engagements),
    # leads
    "business leads page": Case("business", "/leads", seed_calls),
    "business lead page with its calls": Case("business", "/leads/1", seed_calls_of_one_lead),
    "business closer profile with reviews": Case("business", "/closers/{closer_id}", seed_reviews),
    "business leads API": Case("business", "/api/v1/leads", seed_calls, api=True),
    # the team
    "business team page": Case("business", "/businesses/{business_id}", seed_members),
    "business members API": Case("business", "/api/v1/businesses/me/members", seed_members, api=True),
    # engagements and offers
    "closer engagements page": Case("closer", "/engagements", seed_engagements),
    "business engagements page": Case("business", "/engagements", seed_engagements),
    "closer engagements API": Case("closer", "/api/v1/engagements", seed_engagements, api=True),
    "business engagements API": Case("business", "/api/v1/engagements", seed_engagements, api=True),
    "business offers page": Case("business", "/offers", seed_engagements),
    "business offers API": Case("business", "/api/v1/offers", seed_engagements, api=True),
    # outcomes and money
    "business outcomes page": Case("business", "/outcomes/pending", seed_outcomes),
    "admin disputes desk": Case("admin", "/admin/disputes", seed_outcomes),
    "admin disputes desk, many businesses": Case("admin", "/admin/disputes", seed_spread_outcomes),
    "admin money desk, many businesses": Case("admin", "/admin/money", seed_spread_manual_charges),
    "closer earnings": Case("closer", "/earnings", seed_ledger),
    "closer ledger API": Case("closer", "/api/v1/ledger", seed_ledger, api=True),
    "business charges page": Case("business", "/billing/charges", seed_charges),
    "business charges API": Case("business", "/api/v1/charges", seed_charges, api=True),
    "admin money desk, bank transfers due": Case("admin", "/admin/money", seed_manual_charges),
    "admin money desk, failed charges": Case("admin", "/admin/money", seed_failed_charges),
    "business charges page, bank transfers due": Case("business", "/billing/charges", seed_manual_charges),
    "admin payouts page": Case("admin", "/admin/payouts", seed_payouts),
    "admin payout run page": Case("admin", "/admin/payouts/runs/1", seed_run_payouts),
    "closer payouts API": Case("closer", "/api/v1/payouts", seed_payouts, api=True),
    "admin payouts API": Case("admin", "/api/v1/payouts", seed_payouts, api=True),
    "closer earnings with payouts": Case("closer", "/earnings", seed_payouts),
    "closer reviews page": Case("closer", "/reviews", seed_reviews),
    # admin
    "admin users": Case("admin", "/admin/users", seed_users),
    "admin vetting queue": Case("admin", "/admin/vetting", seed_users),
    "business closer search page": Case("business", "/closers?language=fr", seed_closers),
    "business closer search API": Case("business", "/api/v1/closers?language=fr", seed_closers, api=True),
    "admin closer search API": Case("admin", "/api/v1/closers", seed_closers, api=True),
    "admin audit trail": Case("admin", "/admin/audit", seed_audit),
    "admin audit trail by actor": Case("admin", "/admin/audit?actor=ada", seed_audit),
    "admin outbox": Case("admin", "/admin/outbox", seed_outbox),
    "closer tokens API": Case("closer", "/api/v1/tokens", seed_tokens, api=True),
    "business tokens API": Case("business", "/api/v1/tokens", seed_tokens, api=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_list_runs_as_many_statements_for_200_rows_as_for_1(
    name: str, scene: Scene, count_statements: StatementCounter
) -> None:
    case = CASES[name]
    with clock.frozen_at(case.now):
        case.seed(scene, 0, 1)
        case.request(scene)  # a first request may do one-off bookkeeping (a token's last use)
        small, one = count_statements(lambda: case.request(scene))
        assert small.status_code == 200, small.get_data(as_text=True)[:500]
        case.seed(scene, 1, 199)
        large, many = count_statements(lambda: case.request(scene))
        assert large.status_code == 200, large.get_data(as_text=True)[:500]
    # The page really lists the new rows (a filter that hid them would make the count trivially equal).
    assert len(large.get_data()) > len(small.get_data()) + 500, f"{name}: the 200 rows are not listed"
    assert many == one, f"{name}: {one} statements for 1 row, {many} for 200:\n{count_statements.report()}"
