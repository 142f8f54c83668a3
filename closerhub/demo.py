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

import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub import clock, demo_extras
from closerhub.accounts import service as accounts
from closerhub.accounts.models import User
from closerhub.accounts.verification import mark_verified
from closerhub.booking import service as booking
from closerhub.booking.attendance.models import CloserNoShowReport
from closerhub.booking.models import Appointment, BookedVia
from closerhub.businesses import offers as offer_service
from closerhub.businesses.brand import clean_brand_color
from closerhub.businesses.models import Business, Offer
from closerhub.businesses.service import update_business
from closerhub.closers import availability_service
from closerhub.closers.models import CloserProfile
from closerhub.closers.rules import load_settings
from closerhub.closers.service import LanguageSkill, ProfileData, update_profile
from closerhub.closers.summary import refresh_summary
from closerhub.core.money import Money
from closerhub.core.slots import Slot
from closerhub.core.tz import to_local
from closerhub.demo_data import (
    BUSINESS_PROFILES,
    CALLS,
    CLOSER_PROFILES,
    DEMO_PASSWORD,
    DEMO_USERS,
    ENGAGEMENTS,
    LEADS,
    OFFERS,
    PAYOUT_DETAILS,
    QUESTION_ANSWERS,
    Call,
    DemoUser,
)
from closerhub.engagements import service as engagements
from closerhub.engagements.models import CommissionBasis, Engagement, EngagementStatus
from closerhub.leads import service as lead_service
from closerhub.leads.models import Lead
from closerhub.outcomes import reviews, settlement
from closerhub.outcomes import service as outcomes
from closerhub.outcomes.models import Outcome, Review
from closerhub.outcomes.models_instalments import Instalment
from closerhub.outcomes.settings import setting
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import LedgerEntry
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.models import PayoutRun
from closerhub.payments.payouts.service import run_payouts
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST
from closerhub.vetting.service import decide, is_approved

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoReport", "demo_counts", "seed_demo"]

log = logging.getLogger(__name__)

# The marketplace "opened" this long before the seed runs: accounts, offers and engagements date from then.
OPENED_DAYS_AGO = 45
# A past call is booked this many days before it takes place (never inside the closer's notice).
BOOKED_DAYS_AHEAD = 10
ADMIN_EMAIL = DEMO_USERS[0].email
SEARCH_DAYS = 7  # how far to look for a day with free slots around a wanted day (weekends, busy days)


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
    Timeline(session, users, offers, now, report).run()
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
        payout_details.save(session, closer, details, at + timedelta(hours=4))
        report.changed = True


def _business_setup(session: Session, owner: User, profile: dict[str, Any], report: DemoReport) -> None:
    business = session.get(Business, owner.business_id)
    assert business is not None
    if business.industry is None:  # never set up: a business the demo owner already edited is kept
        fields = {k: v for k, v in profile.items() if k != "brand_color"}
        brand = [("brand_color", lambda: clean_brand_color(profile.get("brand_color")))]
        update_business(session, owner, business, **fields, more=brand)
        report.changed = True


def _offers(session: Session, owner: User, rows: list[dict[str, Any]], at: datetime, report: DemoReport) -> list[Offer]:
    business = session.get(Business, owner.business_id)
    assert business is not None
    out = []
    for row in rows:
        offer = session.scalar(select(Offer).where(Offer.business_id == business.id, Offer.name == row["name"]))
        if offer is None:
            fields = {k: v for k, v in row.items() if k != "price"}
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
                lead_service.create_lead(session, owner, row, now=at + timedelta(hours=7 * i))
            report.changed = True


# --- calls: a timeline replayed with the clock moved --------------------------------------------


class Timeline:
    """Replays the demo calls' events in time order, each with the clock seam pinned to its instant."""

    def __init__(
        self,
        session: Session,
        users: dict[str, User],
        offers: dict[str, list[Offer]],
        now: datetime,
        report: DemoReport,
    ) -> None:
        self.session, self.users, self.offers, self.now, self.report = session, users, offers, now, report
        self._queue: list[tuple[datetime, int, Callable[[datetime], object]]] = []
        self._seq = itertools.count()

    def at(self, instant: datetime, action: Callable[[datetime], object]) -> None:
        """Schedule ``action(instant)``; an instant after now is not staged (the real clock gets there)."""
        if instant <= self.now:
            heapq.heappush(self._queue, (instant, next(self._seq), action))

    def run(self) -> None:
        for call in CALLS:
            lead = self._lead(call)
            if lead is None or self._has_call(lead):
                continue
            if call.day < 0:
                wanted = self._local_today(call) + timedelta(days=call.day)
                booked_at = datetime.combine(wanted, time(0), tzinfo=self._zone(call)) - timedelta(
                    days=BOOKED_DAYS_AHEAD
                )
                self.at(booked_at, partial(self._book_past, call=call, lead=lead, wanted=wanted))
            else:
                self.at(self.now, partial(self._book_upcoming, call=call, lead=lead))
        while self._queue:
            instant, _, action = heapq.heappop(self._queue)
            with clock.frozen_at(instant):
                action(instant)
            self.report.changed = True

    # helpers

    def _closer(self, call: Call) -> User:
        return self.users[call.closer]

    def _zone(self, call: Call) -> ZoneInfo:
        return ZoneInfo(self._closer(call).timezone)

    def _local_today(self, call: Call) -> date:
        return to_local(self.now, self._closer(call).timezone).date()

    def _lead(self, call: Call) -> Lead | None:
        email = LEADS[call.owner][call.lead]["email"]
        owner = self.users[call.owner]
        return self.session.scalar(select(Lead).where(Lead.business_id == owner.business_id, Lead.email == email))

    def _has_call(self, lead: Lead) -> bool:
        return self.session.scalar(select(Appointment.id).where(Appointment.lead_id == lead.id).limit(1)) is not None

    def _slot(self, call: Call, days: list[date], now: datetime) -> Slot | None:
        """The ``call.slot``-th free slot (or the day's last) of the first of ``days`` that has any."""
        closer = self._closer(call)
        for day in days:
            slots = availability_service.slots_for_dates(
                self.session, closer, viewer_zone=closer.timezone, from_date=day, to_date=day, now=now
            )
            if slots:
                return slots[min(call.slot, len(slots) - 1)]
        return None

    def _engagement(self, call: Call) -> Engagement | None:
        offer = self.offers[call.owner][call.offer]
        return self.session.scalar(
            select(Engagement).where(
                Engagement.closer_id == self._closer(call).id,
                Engagement.offer_id == offer.id,
                Engagement.status == EngagementStatus.ACTIVE,
            )
        )

    def _book(
        self,
        call: Call,
        lead: Lead,
        start: datetime,
        now: datetime,
        *,
        follow_up_of: Appointment | None = None,
        retry: bool = True,
    ) -> Appointment | None:
        engagement = self._engagement(call)
        if engagement is None:  # the demo owner ended it: no calls to stage on it
            return None
        offer = self.offers[call.owner][call.offer]
        answers = {q: QUESTION_ANSWERS.get(q, "") for q in offer.booking_questions}
        if call.via == "booking_page" and follow_up_of is None:  # the prospect, on the public page
            lead_input: Lead | dict[str, Any] = dict(LEADS[call.owner][call.lead])
            actor, via = None, BookedVia.BOOKING_PAGE
        elif follow_up_of is not None:  # the closer books the follow-up they agreed on
            lead_input, actor, via = lead, self._closer(call), BookedVia.CLOSER
        else:
            lead_input, actor, via = lead, self.users[call.owner], BookedVia.BUSINESS
        try:
            return booking.book(
                self.session,
                offer=offer,
                lead=lead_input,
                start=start,
                channel=call.channel,
                actor=actor,
                via=via,
                now=now,
                closer_id=self._closer(call).id,
                engagement_id=engagement.id if actor is not None and actor.business_id else None,
                answers=answers,
                follow_up_of=follow_up_of,
            )
        except booking.SlotUnavailable as exc:  # taken by the user's own bookings: the nearest free one
            if not exc.alternatives or not retry:
                return None
            return self._book(call, lead, exc.alternatives[0].start, now, follow_up_of=follow_up_of, retry=False)

    # events

    def _book_upcoming(self, now: datetime, call: Call, lead: Lead) -> None:
        wanted = self._local_today(call) + timedelta(days=call.day)
        slot = self._slot(call, [wanted + timedelta(days=i) for i in range(SEARCH_DAYS)], now)
        if slot is not None:
            self._book(call, lead, slot.start, now)

    def _book_past(self, now: datetime, call: Call, lead: Lead, wanted: date) -> None:
        # Look backwards from the wanted day, so a call never lands after the real now.
        slot = self._slot(call, [wanted - timedelta(days=i) for i in range(SEARCH_DAYS)], now)
        if slot is None:
            return
        appointment = self._book(call, lead, slot.start, now)
        if appointment is not None and call.outcome is not None:
            self.at(appointment.ends_at + timedelta(minutes=20), lambda t: self._record(t, call, appointment))

    def _record(self, now: datetime, call: Call, appointment: Appointment) -> None:
        spec = call.outcome or {}
        currency = appointment.offer.price_currency
        next_step_at = None
        if spec["result"] == "follow_up":
            wanted = self._local_today(call) + timedelta(days=spec["follow_up_day"])
            slot = self._slot(call, [wanted + timedelta(days=i) for i in range(SEARCH_DAYS)], self.now)
            next_step_at = slot.start if slot else self.now + timedelta(days=spec["follow_up_day"])
        data = outcomes.OutcomeData(
            result=spec["result"],
            deal_value=Money(spec["deal"], currency) if "deal" in spec else None,
            lost_reason=spec.get("lost_reason"),
            lost_reason_text=spec.get("lost_reason_text", ""),
            objections=list(spec.get("objections", [])),
            technique=spec.get("technique"),
            buying_signals=list(spec.get("buying_signals", [])),
            next_step=spec.get("next_step", ""),
            next_step_at=next_step_at,
            notes=spec.get("notes", ""),
            payment_plan=demo_extras.plan_of(spec, self._local_today(call), currency),
        )
        outcome = outcomes.record_outcome(self.session, self._closer(call), appointment.id, data, now=now)
        owner = self.users[call.owner]
        if spec.get("then") == "confirm":
            self.at(now + timedelta(days=1), lambda t: self._confirm(t, owner, outcome, spec))
        elif spec.get("then") == "dispute":
            self.at(
                now + timedelta(hours=20),
                lambda t: settlement.dispute(self.session, owner, outcome.id, spec["dispute"], now=t),
            )
        if "review" in spec:
            rating, comment = spec["review"]
            self.at(
                now + timedelta(days=2),
                lambda t: reviews.add_review(self.session, owner, outcome.id, rating, comment, now=t),
            )
        if next_step_at is not None:
            self.at(self.now, lambda t: self._book(call, appointment.lead, next_step_at, t, follow_up_of=appointment))

    def _confirm(self, now: datetime, owner: User, outcome: Outcome, spec: dict[str, Any]) -> None:
        settlement.confirm(self.session, owner, outcome.id, now=now)
        if spec.get("collect_first"):  # cash collected: the first instalment's money arrives the next day
            self.at(now + timedelta(days=1), lambda t: demo_extras.collect_first(self.session, owner, outcome, t))
        if spec.get("paid"):  # manual mode: the business pays by bank transfer, an admin records it a day later
            self.at(now + timedelta(days=1), lambda t: self._mark_paid(t, outcome))

    def _mark_paid(self, now: datetime, outcome: Outcome) -> None:
        charge = charge_queries.charge_of(self.session, outcome.id)
        if charge is None or charge.status != ChargeStatus.MANUAL_DUE:
            return
        admin = self.users[ADMIN_EMAIL]
        charges.mark_manual_paid(self.session, admin, charge.id, f"Bank transfer DEMO-{outcome.id:04d}", now)
        # The worker's clawback release, run when the hold ends (it moves the commission to available).
        self.at(now + timedelta(days=setting("CLAWBACK_DAYS")), lambda t: ledger.release_available(self.session, t))


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
