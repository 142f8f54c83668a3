"""Appointment rows made directly with the models, for tests that must not depend on the booking service.

Usage::

    world = make_world(make_user)                       # business + offer + closer + active engagement
    lead = make_lead(world, timezone="America/New_York")
    appt = make_appointment(world, lead, start=datetime(2027, 1, 5, 15, 0, tzinfo=UTC))

Everything is committed; the overlap guard of the database still applies (two booked calls
of one closer cannot overlap), so give distinct starts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus, BookedVia, Channel
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Business, Offer
from closerhub.core.money import Money
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead


@dataclass
class BookingWorld:
    """A business (its owner), one of its offers, and a closer with an active engagement on it."""

    owner: User
    business: Business
    offer: Offer
    closer: User
    engagement: Engagement


def make_world(
    make_user: Any,
    *,
    closer: User | None = None,
    owner: User | None = None,
    closer_zone: str = "Europe/Paris",
    closer_language: str = "en",
    owner_zone: str = "Europe/London",
    owner_language: str = "en",
    offer_name: str = "High-ticket coaching",
) -> BookingWorld:
    """Create (or reuse) the owner and closer, an offer and an active engagement between them."""
    if owner is None:
        owner = make_user("business", timezone=owner_zone, language=owner_language, name="Omar Owner")
    if closer is None:
        closer = make_user("closer", timezone=closer_zone, language=closer_language, name="Claire Closer")
    offer = offer_service.create_offer(
        db.session,
        owner,
        offer_service.OfferData(
            name=offer_name,
            price=Money(250000, "EUR"),
            description="12-week coaching programme.",
            closing_script="1. Rapport 2. Pain 3. Offer 4. Close",
            qualification_notes="Founders.",
            booking_questions=(),
            is_active=True,
        ),
        now=clock.utcnow(),
    )
    now = clock.utcnow()
    engagement = Engagement(
        business_id=offer.business_id,
        offer_id=offer.id,
        closer_id=closer.id,
        commission_rate_bps=1500,
        status=EngagementStatus.ACTIVE,
        proposed_at=now,
        accepted_at=now,
        proposed_by_id=owner.id,
    )
    db.session.add(engagement)
    db.session.commit()
    business = db.session.get(Business, offer.business_id)
    assert business is not None
    return BookingWorld(owner=owner, business=business, offer=offer, closer=closer, engagement=engagement)


_leads = 0


def make_lead(
    world: BookingWorld,
    *,
    name: str = "Lea Lead",
    email: str | None = None,
    timezone: str = "America/New_York",
    language: str = "en",
    phone: str | None = "+12125550123",
) -> Lead:
    """A lead of the world's business."""
    global _leads
    _leads += 1
    now = clock.utcnow()
    lead = Lead(
        business_id=world.business.id,
        name=name,
        email=email or f"lead{_leads}@prospect.example",
        phone_e164=phone,
        timezone=timezone,
        language=language,
        created_at=now,
        updated_at=now,
    )
    db.session.add(lead)
    db.session.commit()
    return lead


def make_appointment(
    world: BookingWorld,
    lead: Lead,
    *,
    start: datetime,
    minutes: int = 45,
    buffer_minutes: int = 0,
    channel: Channel = Channel.VIDEO,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    booked_at: datetime | None = None,
    sequence: int = 0,
    meeting_url: str = "https://meet.closerhub.app/room-abc123",
    closer: User | None = None,
) -> Appointment:
    """A committed appointment row (with its ``booked`` event) as the booking service would leave it."""
    closer = closer or world.closer
    booked_at = booked_at or clock.utcnow()
    end = start + timedelta(minutes=minutes)
    appointment = Appointment(
        uid=f"{uuid.uuid4()}@closerhub.test",
        business_id=world.business.id,
        offer_id=world.offer.id,
        engagement_id=world.engagement.id,
        closer_id=closer.id,
        lead_id=lead.id,
        starts_at=start.astimezone(UTC),
        ends_at=end.astimezone(UTC),
        blocked_until=(end + timedelta(minutes=buffer_minutes)).astimezone(UTC),
        status=status,
        channel=channel,
        meeting_url=meeting_url if channel == Channel.VIDEO else None,
        dial_from="closer" if channel == Channel.PHONE else None,
        dial_number=lead.phone_e164 if channel == Channel.PHONE else None,
        prospect_timezone=lead.timezone,
        answers=[],
        booked_via=BookedVia.BUSINESS,
        booked_by_id=world.owner.id,
        routing_reason="named closer (test factory)",
        sequence=sequence,
        reschedule_count=0,
        cancelled_at=booked_at if status == AppointmentStatus.CANCELLED else None,
        created_at=booked_at,
        updated_at=booked_at,
    )
    appointment.events.append(
        AppointmentEvent(kind="booked", at=booked_at, actor_id=world.owner.id, actor_label="business", to_start=start)
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment
