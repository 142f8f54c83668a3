"""Helpers of the outcome, ledger and review tests: a business, an offer, an active engagement, calls.

Appointments are inserted directly with the booking models (the booking service is
another feature's; these tests need a call that has happened, not the booking rules).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, BookedVia, Channel
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Offer
from closerhub.core.money import Money
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead

CALL_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday, 15:00 in Paris
AFTER_CALL = CALL_AT + timedelta(minutes=50)


@dataclass
class Deal:
    """One business with its owner, one closer, an offer and their active engagement."""

    owner: User
    closer: User
    offer: Offer
    engagement: Engagement


EUR_4800 = Money(480000, "EUR")


def make_deal(
    make_user, *, closer: User | None = None, owner: User | None = None, rate_bps: int = 1500, price: Money = EUR_4800
) -> Deal:
    """A business (or ``owner``'s), an offer in ``price``'s currency and an active engagement with the closer."""
    owner = owner or make_user("business")
    closer = closer or make_user("closer")
    offer = offer_service.create_offer(
        db.session,
        owner,
        offer_service.OfferData(name="Mindset Mastery", price=price, description="12-week programme"),
        now=clock.utcnow(),
    )
    engagement = Engagement(
        business_id=offer.business_id,
        offer_id=offer.id,
        closer_id=closer.id,
        commission_rate_bps=rate_bps,
        status=EngagementStatus.ACTIVE,
        proposed_at=CALL_AT - timedelta(days=10),
        proposed_by_id=owner.id,
        accepted_at=CALL_AT - timedelta(days=9),
    )
    db.session.add(engagement)
    db.session.commit()
    return Deal(owner, closer, offer, engagement)


def make_call(deal: Deal, starts_at: datetime = CALL_AT, *, minutes: int = 45) -> Appointment:
    """A booked video call of the deal's closer with a new lead, starting at ``starts_at``."""
    now = starts_at - timedelta(days=3)
    lead = Lead(
        business_id=deal.offer.business_id,
        name="Paula Prospect",
        email=f"paula.{secrets.token_hex(4)}@example.com",
        timezone="Europe/Paris",
        created_at=now,
        updated_at=now,
    )
    db.session.add(lead)
    db.session.flush()
    appointment = Appointment(
        uid=f"{secrets.token_hex(8)}@closerhub.test",
        business_id=deal.offer.business_id,
        offer_id=deal.offer.id,
        engagement_id=deal.engagement.id,
        closer_id=deal.closer.id,
        lead_id=lead.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        blocked_until=starts_at + timedelta(minutes=minutes),
        channel=Channel.VIDEO,
        meeting_url="https://meet.example.com/room",
        prospect_timezone="Europe/Paris",
        booked_via=BookedVia.BUSINESS,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment
