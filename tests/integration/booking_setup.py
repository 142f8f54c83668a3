"""Shared set-up of the booking tests: a closer with hours, an offer, an active engagement, a fixed clock.

Everything is made by the real services. The clock is pinned to Monday 1 June 2026,
08:00 in Paris (06:00 UTC); the closer works Monday–Friday 09:00–17:00 Paris time in
60-minute slots with 4 hours' notice, so Tuesday 09:00 Paris (07:00 UTC) is free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.commands import BookingRequest
from closerhub.booking.models import Appointment, AppointmentEvent, BookedVia
from closerhub.businesses.models import Offer
from closerhub.closers.availability_service import replace_availability
from closerhub.closers.commands import AvailabilityChange, WeeklyWindow
from closerhub.engagements import service as engagements
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from tests.conftest import UserFactory
from tests.integration.test_engagements import make_offer

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday 08:00 in Paris
TUESDAY_9 = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # Tuesday 09:00 in Paris
WORKWEEK = tuple(WeeklyWindow(d, "09:00", "17:00") for d in range(5))


def set_hours(closer: User, **settings: Any) -> None:
    """Give ``closer`` Mon–Fri 09:00–17:00 in their zone, with ``settings`` over the defaults."""
    hours = AvailabilityChange(
        weekly=WORKWEEK, slot_minutes=60, buffer_minutes=0, min_notice_minutes=240, horizon_days=30
    )
    replace_availability(db.session, closer, dataclasses.replace(hours, **settings), now=NOW)


def engage(owner: User, closer: User, offer: Offer) -> Engagement:
    """An active engagement (proposed by ``owner``, accepted by ``closer``)."""
    proposal = engagements.propose(
        db.session, owner, engagements.Proposal(closer.id, offer.id, 1500), now=clock.utcnow()
    )
    return engagements.accept(db.session, closer, proposal.id, now=clock.utcnow())


def lead_data(**overrides: Any) -> dict[str, Any]:
    """The prospect as the API's JSON gives them (context nested)."""
    data = {
        "name": "Paula Prospect",
        "email": "paula@example.com",
        "phone": "+12125550123",
        "timezone": "America/New_York",
        "context": {"needs": "Scale to 50k/month", "budget": "5k"},
    }
    data.update(overrides)
    return data


def lead_details(**overrides: Any) -> LeadDetails:
    """The same prospect as ``lead_data``, as the service's command."""
    data = lead_data(**overrides)
    context = data.pop("context", None) or {}
    return LeadDetails(**data, **context)


_REQUEST_FIELDS = frozenset(f.name for f in dataclasses.fields(BookingRequest))


def book(offer: Offer, start: datetime = TUESDAY_9, **kwargs: Any) -> Appointment:
    """Book through the service as the prospect on the booking page, unless told otherwise.

    ``kwargs``: the ``BookingRequest``'s fields (``lead`` defaults to ``lead_details()``, ``channel``
    to video) and ``book``'s own keywords (actor, via, now, follow_up_of, without)."""
    wanted = {k: kwargs.pop(k) for k in list(kwargs) if k in _REQUEST_FIELDS}
    wanted.setdefault("lead", lead_details())
    wanted.setdefault("channel", "video")
    kwargs.setdefault("actor", None)
    kwargs.setdefault("via", BookedVia.BOOKING_PAGE)
    kwargs.setdefault("now", NOW)
    return service.book(db.session, BookingRequest(start=start, **wanted), offer=offer, **kwargs)


def snapshot() -> tuple[Any, ...]:
    """What a refused booking must leave unchanged: appointments, events and leads."""
    db.session.rollback()
    appointments = db.session.execute(
        select(Appointment.id, Appointment.status, Appointment.starts_at, Appointment.sequence).order_by(Appointment.id)
    ).all()
    events = db.session.execute(select(AppointmentEvent.id).order_by(AppointmentEvent.id)).all()
    leads = db.session.execute(select(Lead.id, Lead.email, Lead.name).order_by(Lead.id)).all()
    return tuple(appointments), tuple(events), tuple(leads)


def appointment_count() -> int:
    db.session.rollback()
    return len(db.session.scalars(select(Appointment.id)).all())


@pytest.fixture
def frozen() -> Iterator[datetime]:
    with clock.frozen_at(NOW):
        yield NOW


@pytest.fixture
def setting(frozen: datetime, business_user: User, closer: User) -> dict[str, Any]:
    """The closer (Paris hours), the business's offer and their active engagement."""
    set_hours(closer)
    offer = make_offer(business_user)
    engagement = engage(business_user, closer, offer)
    return {"offer": offer, "engagement": engagement, "closer": closer, "owner": business_user}


@pytest.fixture
def second_closer(setting: dict[str, Any], make_user: UserFactory) -> User:
    """Another closer on the same offer, with the same hours (engaged after the first)."""
    other = make_user("closer", email="bruno@example.com", name="Bruno Second")
    set_hours(other)
    engage(setting["owner"], other, setting["offer"])
    return other


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
