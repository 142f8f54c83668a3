"""``flask seed-demo``: a marketplace that looks alive at first login, seeded idempotently."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts.models import Role, User
from closerhub.analytics.models import AnalyticsDirty, AnalyticsSlot
from closerhub.booking.attendance import no_shows
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.businesses.models import Offer
from closerhub.closers.models import CloserProfile
from closerhub.demo import DEMO_PASSWORD, DEMO_USERS, demo_counts
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import LedgerEntry
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.models import Payout, PayoutStatus
from closerhub.payments.payouts.service import run_payouts
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import AuthActions


def _seed(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_seeding_twice_changes_no_count_and_prints_the_same_logins(runner: FlaskCliRunner, demo: str) -> None:
    first = demo  # the first seeding (the session's template: tests/fixtures/demo.py)
    counts = demo_counts(db.session)
    second = _seed(runner)
    assert demo_counts(db.session) == counts
    assert counts["users"] == len(DEMO_USERS) and counts["offers"] == 4 and counts["leads"] >= 20
    assert counts["appointments"] >= 20 and counts["outcomes"] >= 10 and counts["reviews"] >= 2
    for demo in DEMO_USERS:
        assert demo.email in first and demo.email in second
        assert accounts.authenticate(db.session, demo.email, DEMO_PASSWORD, now=clock.utcnow()).email == demo.email
    assert "created" not in second
    # The analytics pages show the demo at once: the seeding summed its calls (nothing left for the worker).
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AnalyticsDirty)) == 0
    assert db.session.scalar(select(func.sum(AnalyticsSlot.appointments))) == counts["appointments"]
    # One public booking link per business, the same on both runs.
    links = [line for line in first.splitlines() if "/book/" in line]
    assert len(links) == 2 and links == [line for line in second.splitlines() if "/book/" in line]


def test_the_marketplace_has_every_state_a_new_user_should_see(demo: str) -> None:
    now = clock.utcnow()
    calls = list(db.session.scalars(select(Appointment)))
    upcoming = [a for a in calls if a.status == AppointmentStatus.BOOKED and a.starts_at > now]
    assert len(upcoming) >= 8
    assert all(now < a.starts_at < now + timedelta(days=15) for a in upcoming)
    assert all(now - timedelta(days=29) < a.starts_at < now for a in calls if a not in upcoming)
    # Past calls waiting for their closer's outcome (Claire's and Jake's), one per business.
    recorded = set(db.session.scalars(select(Outcome.appointment_id)))
    awaiting = [
        a for a in calls if a.status == AppointmentStatus.BOOKED and a.starts_at <= now and a.id not in recorded
    ]
    assert {a.closer.email for a in awaiting} == {"claire@closers.demo", "jake@closers.demo"}
    results = {o.result for o in db.session.scalars(select(Outcome))}
    assert {OutcomeResult.WON, OutcomeResult.LOST, OutcomeResult.NO_SHOW, OutcomeResult.FOLLOW_UP} <= results
    assert db.session.scalar(select(func.count()).where(Outcome.status == OutcomeStatus.DISPUTED)) == 1
    # The admin's vetting queue holds one closer; each business has a proposal waiting for a closer.
    queue = db.session.scalars(select(CloserVetting).where(CloserVetting.status == VettingStatus.IN_REVIEW)).all()
    assert [row.closer.email for row in queue] == ["sofia@closers.demo"]
    proposed = db.session.scalars(select(Engagement).where(Engagement.status == EngagementStatus.PROPOSED)).all()
    assert len({e.business_id for e in proposed}) == 2
    active = db.session.scalars(select(Engagement).where(Engagement.status == EngagementStatus.ACTIVE)).all()
    assert all(1200 <= e.commission_rate_bps <= 1800 for e in active)
    closers = db.session.scalars(select(User).where(User.role == Role.CLOSER)).all()
    assert len({c.timezone for c in closers}) >= 4
    assert {u.language for u in db.session.scalars(select(User))} == {"en", "fr"}
    # Claire's earnings show money both waiting (pending) and released (available).
    claire = _user("claire@closers.demo")
    (balance,) = ledger.balances(db.session, claire.id)
    assert balance.currency == "EUR" and balance.pending > 0 and balance.paid > 0
    # Her released commission is in a payout in progress: a manual run the admin pays by bank.
    (payout,) = db.session.scalars(select(Payout).where(Payout.closer_id == claire.id)).all()
    assert payout.status == PayoutStatus.MANUAL_PENDING and payout.amount == balance.paid


def test_the_demo_shows_cash_collection_and_show_up_states(demo: str) -> None:
    now = clock.utcnow()
    # Diego's deal on cash collected: 3 instalments, one collected (accrued in his earnings), one overdue, one due.
    (outcome,) = db.session.scalars(
        select(Outcome).join(Outcome.appointment).join(Appointment.lead).where(Lead.email == "hugo.lefevre@example.fr")
    ).all()
    assert outcome.on_cash_collected and outcome.status == OutcomeStatus.CONFIRMED
    plan = db.session.scalars(select(Instalment).where(Instalment.outcome_id == outcome.id).order_by("position")).all()
    assert [i.status for i in plan] == [InstalmentStatus.COLLECTED, InstalmentStatus.DUE, InstalmentStatus.DUE]
    assert plan[1].due_on < now.date() < plan[2].due_on  # the second is overdue, the third still due
    assert plan[0].commission_accrued == 30_000  # 15 % of €2,000.00
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.instalment_id == plan[0].id)).all()
    assert [(e.bucket.value, e.amount) for e in entries] == [("pending", 30_000)]
    # Show-up: one upcoming call confirmed by its prospect, others not; a no-show report waits; an SMS consent.
    upcoming = db.session.scalars(
        select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now)
    ).all()
    confirmed = [a for a in upcoming if a.prospect_confirmed_at is not None]
    assert len(confirmed) == 1 and len(upcoming) > 1
    assert [r.status.value for r in db.session.scalars(no_shows.pending_query())] == ["pending"]
    assert db.session.scalar(select(func.count()).where(Lead.sms_consent_at.is_not(None))) == 1


def test_the_demo_closer_sees_upcoming_calls_and_prospects_see_free_slots(
    demo: str, client: FlaskClient, auth: AuthActions
) -> None:
    output = demo
    claire = _user("claire@closers.demo")
    mine = db.session.scalars(
        select(Appointment).where(Appointment.closer_id == claire.id, Appointment.status == AppointmentStatus.BOOKED)
    ).all()
    assert mine
    auth.login(claire.email, DEMO_PASSWORD)
    page = client.get("/appointments?status=booked")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for appointment in mine:
        assert appointment.lead.name in html
    assert client.get("/earnings").status_code == 200
    auth.logout()

    path = next(line.split()[2] for line in output.splitlines() if "/book/" in line and "Acme" in line)
    key = path.rsplit("/book/", 1)[1]
    assert db.session.scalar(select(Offer).where(Offer.booking_key == key)) is not None
    page = client.get(f"/book/{key}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="slots"' in html and "data-slot-start=" in html


def test_a_database_with_the_demo_users_already_is_topped_up_not_duplicated(runner: FlaskCliRunner) -> None:
    # An older seed made bare accounts only; a user has since filled in their own headline.
    for demo in DEMO_USERS[1:4]:
        accounts.signup(
            db.session,
            accounts.SignupData(
                email=demo.email,
                password=DEMO_PASSWORD,
                name=demo.name,
                role=demo.role,
                timezone=demo.timezone,
                language=demo.language,
                business_name=demo.business_name,
            ),
            now=clock.utcnow(),
        )
    claire = _user("claire@closers.demo")
    profile = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == claire.id))
    profile.headline = "My own headline"
    db.session.commit()

    output = _seed(runner)
    assert output.count("exists") == 3 and output.count("created") == len(DEMO_USERS) - 3
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
    db.session.refresh(profile)
    assert profile.headline == "My own headline"  # what the user wrote is kept
    assert demo_counts(db.session)["appointments"] >= 20


def test_every_demo_closer_with_earnings_has_usable_payout_details_so_a_manual_run_skips_nobody(
    demo: str,
) -> None:
    earners = sorted(set(db.session.scalars(select(LedgerEntry.closer_id))))
    assert earners and payout_details.usable_closer_ids(db.session, earners) == set(earners)
    claire = payout_details.details_of(db.session, _user("claire@closers.demo").id)
    assert claire is not None and claire.scheme.value == "iban" and claire.country == "FR"
    assert run_payouts(db.session, clock.utcnow(), triggered_by="cli").skipped == 0
