"""``seed-demo``'s calls: a timeline replayed in time order with the clock seam moved (``clock.frozen_at``).

Each demo call (``demo_data.CALLS``) is booked a few days before it takes place, its outcome is
recorded just after it, then come the business's confirmation or dispute, a review, and the
bank transfer an admin marks paid; upcoming calls are booked at the real now. A lead that
already has a call is left alone, so running the demo again changes nothing.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub import clock, demo_extras
from closerhub.accounts.models import User
from closerhub.booking import service as booking
from closerhub.booking.models import Appointment, BookedVia
from closerhub.businesses.models import Offer
from closerhub.closers import availability_service
from closerhub.core.money import Money
from closerhub.core.slots import Slot
from closerhub.core.tz import to_local
from closerhub.demo_data import (
    CALLS,
    DEMO_USERS,
    LEADS,
    QUESTION_ANSWERS,
    Call,
)
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.outcomes import reviews, settlement
from closerhub.outcomes import service as outcomes
from closerhub.outcomes.commands import OutcomeData
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.settings import setting
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import ChargeStatus
from closerhub.payments.ledger import service as ledger

ADMIN_EMAIL = DEMO_USERS[0].email
# A past call is booked this many days before it takes place (never inside the closer's notice).
BOOKED_DAYS_AHEAD = 10
SEARCH_DAYS = 7  # how far to look for a day with free slots around a wanted day (weekends, busy days)


class Timeline:
    """Replays the demo calls' events in time order, each with the clock seam pinned to its instant."""

    def __init__(
        self,
        session: Session,
        users: dict[str, User],
        offers: dict[str, list[Offer]],
        now: datetime,
    ) -> None:
        self.session, self.users, self.offers, self.now = session, users, offers, now
        self.changed = False  # whether a staged event ran (the demo was topped up)
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
            self.changed = True

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
            lead_input: Lead | LeadDetails = LeadDetails(**LEADS[call.owner][call.lead])
            actor, via = None, BookedVia.BOOKING_PAGE
        elif follow_up_of is not None:  # the closer books the follow-up they agreed on
            lead_input, actor, via = lead, self._closer(call), BookedVia.CLOSER
        else:
            lead_input, actor, via = lead, self.users[call.owner], BookedVia.BUSINESS
        try:
            request = booking.BookingRequest(
                start=start,
                channel=call.channel,
                lead=lead_input,
                closer_id=self._closer(call).id,
                engagement_id=engagement.id if actor is not None and actor.business_id else None,
                answers=answers,
            )
            return booking.book(
                self.session, request, offer=offer, actor=actor, via=via, now=now, follow_up_of=follow_up_of
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
        data = OutcomeData(
            result=spec["result"],
            deal_value=Money(spec["deal"], currency) if "deal" in spec else None,
            lost_reason=spec.get("lost_reason"),
            lost_reason_text=spec.get("lost_reason_text", ""),
            objections=tuple(spec.get("objections", ())),
            technique=spec.get("technique"),
            buying_signals=tuple(spec.get("buying_signals", ())),
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
