"""Shared builders for the admin tests: offers, engagements and booked calls on the real database."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia, Channel
from closerhub.businesses.models import Offer
from closerhub.businesses.offers import OfferData, create_offer
from closerhub.core.money import Money
from closerhub.engagements import service as engagements
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from closerhub.leads.models import Lead


def make_offer(business: User, name: str = "Mindset Mastery") -> Offer:
    return create_offer(
        db.session,
        business,
        OfferData(name=name, price=Money(480000, "EUR"), description="Coaching", closing_script="Open with the goal."),
        now=clock.utcnow(),
    )


def active_engagement(business: User, closer: User, offer: Offer | None = None) -> Engagement:
    offer = offer or make_offer(business)
    engagement = engagements.propose(
        db.session, business, engagements.Proposal(closer.id, offer.id, 1500), now=clock.utcnow()
    )
    return engagements.accept(db.session, closer, engagement.id, now=clock.utcnow())


def book_call(engagement: Engagement, starts_at: datetime, *, lead_email: str | None = None) -> Appointment:
    """A booked call written straight to the tables (the booking service is another issue's)."""
    now = clock.utcnow()
    lead = Lead(
        business_id=engagement.business_id,
        name="Pat Prospect",
        email=lead_email or f"pat{secrets.token_hex(3)}@example.com",
        timezone="Europe/Paris",
        created_at=now,
        updated_at=now,
    )
    db.session.add(lead)
    db.session.flush()
    appointment = Appointment(
        uid=secrets.token_hex(16),
        business_id=engagement.business_id,
        offer_id=engagement.offer_id,
        engagement_id=engagement.id,
        closer_id=engagement.closer_id,
        lead_id=lead.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        blocked_until=starts_at + timedelta(hours=1),
        status=AppointmentStatus.BOOKED,
        channel=Channel.VIDEO,
        meeting_url="https://meet.example/room",
        prospect_timezone="Europe/Paris",
        booked_via=BookedVia.BUSINESS,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment
