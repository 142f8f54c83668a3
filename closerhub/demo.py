"""``flask seed-demo``: a marketplace that looks alive at first login, built through the real use cases.

Every row comes from the same service functions the pages and the API call (sign-up,
vetting, profiles, availability, offers, engagements, leads, ``booking.service.book``,
outcomes, reviews, the ledger's release job), so the demo obeys every rule the product
does: slots fit each closer's hours, commissions come from ``core.commission``, balances
are sums of ledger entries.

Calls in the past are staged by moving the clock seam (``clock.frozen_at``): a small
timeline replays, in time order, each booking a few days before its call, the outcome
just after it, the business's confirmation or dispute, a review, and the clawback
release once its hold has passed. Upcoming calls are booked at the real now.

Idempotent by natural keys: users by email, offers by name, engagements by (closer,
offer), leads by email, and each staged call by its lead (a lead that already has a call
is left alone). A database that already holds some of it is topped up, never duplicated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub import clock, demo_extras
from closerhub.accounts import service as accounts
from closerhub.accounts.models import User
from closerhub.accounts.verification import mark_verified
from closerhub.booking.attendance.models import CloserNoShowReport
from closerhub.booking.models import Appointment
from closerhub.businesses import offers as offer_service
from closerhub.businesses.commands import BusinessSettings
from closerhub.businesses.models import Business, Offer
from closerhub.businesses.service import update_business
from closerhub.closers import availability_service
from closerhub.closers.models import CloserProfile
from closerhub.closers.rules import load_settings
from closerhub.closers.service import LanguageSkill, ProfileData, update_profile
from closerhub.closers.summary import refresh_summary
from closerhub.core.money import Money
from closerhub.demo_data import (
    BUSINESS_PROFILES,
    CLOSER_PROFILES,
    DEMO_PASSWORD,
    DEMO_USERS,
    ENGAGEMENTS,
    LEADS,
    OFFERS,
    PAYOUT_DETAILS,
    DemoUser,
)
from closerhub.demo_timeline import ADMIN_EMAIL, Timeline
from closerhub.engagements import service as engagements
from closerhub.engagements.models import CommissionBasis, Engagement
from closerhub.leads import service as lead_service
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.outcomes.models import Outcome, Review
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges.models import Charge
from closerhub.payments.ledger.models import LedgerEntry
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.models import PayoutRun
from closerhub.payments.payouts.service import run_payouts
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST
from closerhub.vetting.service import decide, is_approved

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoReport", "demo_counts", "seed_demo"]

log = logging.getLogger(__name__)

# The marketplace "opened" this long before the seed runs: accounts, offers and engagements date from then.
OPENED_DAYS_AGO = 45


@dataclass
class DemoReport:
    """What ``seed_demo`` did: the login rows (role, email, created/exists) and each business's booking link."""

    logins: list[tuple[str, str, str]] = field(default_factory=list)
    booking_links: list[tuple[str, str, str]] = field(default_factory=list)  # (business, offer, key)
    changed: bool = False


def seed_demo(session: Session, now: datetime) -> DemoReport:
    """Create (or top up) the demo marketplace as of ``now``; safe to run again. Commits through the services."""
    report = DemoReport()
    users = _accounts(session, now, report)
    admin = users[ADMIN_EMAIL]
    opened = now - timedelta(days=OPENED_DAYS_AGO)
    for demo in DEMO_USERS:
        user = users[demo.email]
        if demo.role == "closer":
            set_up_at = opened + timedelta(days=2) if demo.approved else now - timedelta(days=1)
            _closer_setup(session, user, demo, admin, set_up_at, report)
    offers: dict[str, list[Offer]] = {}
    for owner_email, profile in BUSINESS_PROFILES.items():
        owner = users[owner_email]
        _business_setup(session, owner, profile, report)
        offers[owner_email] = _offers(session, owner, OFFERS[owner_email], opened + timedelta(days=1), report)
        _engagements(session, owner, users, offers[owner_email], opened + timedelta(days=4), report)
        _leads(session, owner, LEADS[owner_email], now - timedelta(days=35), report)
    timeline = Timeline(session, users, offers, now)
    timeline.run()
    report.changed = report.changed or timeline.changed
    if demo_extras.seed_show_up(session, [users[email] for email in BUSINESS_PROFILES], now):
        report.changed = True
    if report.changed and session.scalar(select(func.count()).select_from(PayoutRun)) == 0:
        # A payout in progress: the released commissions go into a manual run the admin pays by bank.
        run_payouts(session, now, triggered_by=admin)
    if report.changed:
        for demo in DEMO_USERS:
            if demo.role == "closer":
                refresh_summary(session, users[demo.email].id, now)  # search's "next free slot" as of now
        session.commit()
    for owner_email in BUSINESS_PROFILES:
        offer = offers[owner_email][0]
        report.booking_links.append((offer.business.name, offer.name, offer.booking_key))
    return report


# --- accounts, profiles, businesses ----------------------------------------------------------


def _accounts(session: Session, now: datetime, report: DemoReport) -> dict[str, User]:
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == demo.email))
        state = "exists"
        if user is None:
            # Approved members joined when the marketplace opened; the closer in review signed up lately.
            joined = now - timedelta(days=OPENED_DAYS_AGO if demo.approved else 2)
            with clock.frozen_at(joined):
                user = _create_account(session, demo, joined)
            state = "created"
            report.changed = True
        if user.email_verified_at is None:  # demo logins are known addresses: verified, as if the link was clicked
            with clock.frozen_at(user.created_at + timedelta(minutes=5)):
                mark_verified(session, user, actor="demo seed", now=user.created_at + timedelta(minutes=5))
                session.commit()
            report.changed = True
        users[demo.email] = user
        report.logins.append((demo.role, demo.email, state))
    return users


def _create_account(session: Session, demo: DemoUser, now: datetime) -> User:
    if demo.role == "admin":
        return accounts.create_admin(session, email=demo.email, password=DEMO_PASSWORD, name=demo.name, now=now)
    return accounts.signup(
        session,
        accounts.SignupData(
            email=demo.email,
            password=DEMO_PASSWORD,
            name=demo.name,
            role=demo.role,
            timezone=demo.timezone,
            language=demo.language,
            business_name=demo.business_name,
        ),
        now=now,
    )


def _profile_data(closer: User, fields: dict[str, Any]) -> ProfileData:
    """The profile command of a demo closer (``demo_data`` spells languages as ``{code, level}``)."""
    languages = tuple(LanguageSkill(**lang) for lang in fields["languages"])
    rest = {k: v for k, v in fields.items() if k not in ("languages", "industries")}
    return ProfileData(timezone=closer.timezone, languages=languages, industries=tuple(fields["industries"]), **rest)


def _closer_setup(
    session: Session, closer: User, demo: DemoUser, admin: User, at: datetime, report: DemoReport
) -> None:
    """Profile and hours when still blank, then the admin's approval (the closer in review stays queued)."""
    data = CLOSER_PROFILES[demo.email]
    profile = session.scalar(select(CloserProfile).where(CloserProfile.user_id == closer.id))
    if profile is None or not profile.headline:
        with clock.frozen_at(at):
            update_profile(session, closer, _profile_data(closer, data["profile"]), now=at)
        report.changed = True
    if load_settings(session, closer.id) is None:
        with clock.frozen_at(at):
            availability_service.replace_availability(session, closer, data["availability"], now=at)
        report.changed = True
    if demo.approved and not is_approved(session, closer.id):
        with clock.frozen_at(at + timedelta(hours=3)):
            approval = VettingDecision(
                "approve", notes="Demo account: intro call held, languages checked.", ticked=frozenset(CHECKLIST)
            )
            decide(session, admin, closer.id, approval, now=at + timedelta(hours=3))
        report.changed = True
    details = PAYOUT_DETAILS.get(demo.email)
    if details is not None and payout_details.details_of(session, closer.id) is None:
        # Sealed with this instance's ENCRYPTION_KEYS, as the closer's form would: a manual run can pay them.
        payout_details.save(session, closer, BankDetails(**details), at + timedelta(hours=4))
        report.changed = True


def _business_setup(session: Session, owner: User, profile: dict[str, Any], report: DemoReport) -> None:
    business = session.get(Business, owner.business_id)
    assert business is not None
    if business.industry is None:  # never set up: a business the demo owner already edited is kept
        lists = ("prospect_languages", "prospect_timezones")
        fields: dict[str, Any] = {k: tuple(v) if k in lists else v for k, v in profile.items()}
        update_business(session, owner, business, BusinessSettings(**fields))
        report.changed = True


def _offers(session: Session, owner: User, rows: list[dict[str, Any]], at: datetime, report: DemoReport) -> list[Offer]:
    business = session.get(Business, owner.business_id)
    assert business is not None
    out = []
    for row in rows:
        offer = session.scalar(select(Offer).where(Offer.business_id == business.id, Offer.name == row["name"]))
        if offer is None:
            fields: dict[str, Any] = {
                k: tuple(v) if k == "booking_questions" else v for k, v in row.items() if k != "price"
            }
            with clock.frozen_at(at):
                offer = offer_service.create_offer(
                    session,
                    owner,
                    offer_service.OfferData(price=Money(row["price"], business.currency), **fields),
                    now=at,
                )
            report.changed = True
        out.append(offer)
    return out


def _engagements(
    session: Session, owner: User, users: dict[str, User], offers: list[Offer], at: datetime, report: DemoReport
) -> None:
    for closer_email, offer_index, rate, accepted, *basis in ENGAGEMENTS[owner.email]:
        closer, offer = users[closer_email], offers[offer_index]
        known = session.scalar(
            select(Engagement.id).where(Engagement.closer_id == closer.id, Engagement.offer_id == offer.id).limit(1)
        )
        if known is not None:  # any history (even ended or declined) is the user's, not ours to redo
            continue
        with clock.frozen_at(at):
            basis_used = CommissionBasis(basis[0]) if basis else CommissionBasis.CONTRACT_VALUE
            terms = engagements.Proposal(closer.id, offer.id, rate, basis_used)
            engagement = engagements.propose(session, owner, terms, now=at)
        if accepted:
            with clock.frozen_at(at + timedelta(hours=5)):
                engagements.accept(session, closer, engagement.id, now=at + timedelta(hours=5))
        report.changed = True


def _leads(session: Session, owner: User, rows: list[dict[str, Any]], at: datetime, report: DemoReport) -> None:
    for i, row in enumerate(rows):
        known = session.scalar(select(Lead.id).where(Lead.business_id == owner.business_id, Lead.email == row["email"]))
        if known is None:
            with clock.frozen_at(at + timedelta(hours=7 * i)):
                lead_service.create_lead(session, owner, LeadDetails(**row), now=at + timedelta(hours=7 * i))
            report.changed = True


def demo_counts(session: Session) -> dict[str, int]:
    """Row counts of what the demo fills (the command's summary line, and what the tests compare)."""
    models: dict[str, Any] = {
        "users": User,
        "offers": Offer,
        "engagements": Engagement,
        "leads": Lead,
        "appointments": Appointment,
        "outcomes": Outcome,
        "reviews": Review,
        "charges": Charge,
        "ledger_entries": LedgerEntry,
        "instalments": Instalment,
        "no_show_reports": CloserNoShowReport,
    }
    return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in models.items()}
