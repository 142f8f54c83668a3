"""Outcomes, engagements and leads record their webhook events, in the API resource's shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.clock import frozen_at, utcnow
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.outcomes import service as outcomes
from closerhub.outcomes import settlement
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import WebhookDelivery, WebhookEvent
from closerhub.webhooks.service import create_endpoint
from tests.integration.outcome_support import AFTER_CALL, make_call, make_deal
from tests.integration.test_engagements import make_offer
from tests.integration.test_outcomes import WON_4800

RATE = 1500
EVERY_TYPE = [
    "outcome.recorded",
    "outcome.confirmed",
    "outcome.disputed",
    "outcome.resolved",
    "engagement.accepted",
    "engagement.declined",
    "lead.created",
]


def _subscribe(business_id: int) -> None:
    create_endpoint(
        db.session, business_id, NewEndpoint(url="https://hooks.example.com/in", events=tuple(EVERY_TYPE)), now=utcnow()
    )
    db.session.commit()


def _events() -> list[tuple[str, dict[str, Any]]]:
    db.session.expire_all()
    return [(e.type, e.payload["data"]) for e in db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))]


def test_an_outcome_recorded_confirmed_or_disputed_then_resolved_each_sends_its_event(
    make_user: Any, admin_user: User
) -> None:
    deal = make_deal(make_user)
    _subscribe(deal.offer.business_id)
    first, second = make_call(deal), make_call(deal, AFTER_CALL + timedelta(hours=2))
    with frozen_at(AFTER_CALL + timedelta(hours=3)):
        kept = outcomes.record_outcome(db.session, deal.closer, first.id, WON_4800, now=utcnow())
        settlement.confirm(db.session, deal.owner, kept.id, now=utcnow())
    with frozen_at(AFTER_CALL + timedelta(hours=4)):
        argued = outcomes.record_outcome(db.session, deal.closer, second.id, WON_4800, now=utcnow())
        settlement.dispute(db.session, deal.owner, argued.id, "The client never paid.", now=utcnow())
        settlement.resolve_dispute(db.session, admin_user, argued.id, note="Paid after all.", now=utcnow())
    events = _events()
    assert [t for t, _d in events] == [
        "outcome.recorded",
        "outcome.confirmed",
        "outcome.recorded",
        "outcome.disputed",
        "outcome.resolved",
    ]
    assert [(d["id"], d["status"]) for _t, d in events] == [
        (kept.id, "recorded"),
        (kept.id, "confirmed"),
        (argued.id, "recorded"),
        (argued.id, "disputed"),
        (argued.id, "resolved"),
    ]
    assert events[0][1]["deal_value"] == {"amount": 480000, "currency": "EUR"}
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 5


def test_an_accepted_and_a_declined_engagement_send_their_events(business_user: User, make_user: Any) -> None:
    _subscribe(business_user.business_id)
    offer = make_offer(business_user)
    yes, no = make_user("closer"), make_user("closer", email="no@example.com")
    first = engagements.propose(db.session, business_user, engagements.Proposal(yes.id, offer.id, 1500), now=utcnow())
    second = engagements.propose(db.session, business_user, engagements.Proposal(no.id, offer.id, 1500), now=utcnow())
    engagements.accept(db.session, yes, first.id, now=utcnow())
    engagements.decline(db.session, no, second.id, "Fully booked this quarter.", now=utcnow())
    events = _events()
    assert [(t, d["id"], d["status"]) for t, d in events] == [
        ("engagement.accepted", first.id, "active"),
        ("engagement.declined", second.id, "declined"),
    ]


def test_a_lead_created_by_the_business_or_imported_sends_lead_created(business_user: User) -> None:

    _subscribe(business_user.business_id)
    lead = leads.create_lead(
        db.session,
        business_user,
        LeadDetails(name="Ann Lead", email="ann@example.com", timezone="Europe/Paris"),
        now=utcnow(),
    )
    business = db.session.get(Business, business_user.business_id)
    csv = b"name,email,timezone\nBob Import,bob@example.com,Europe/Paris\nAnn Lead,ann@example.com,Europe/Paris\n"
    leads.import_csv(db.session, business, csv, actor=business_user, now=lead.created_at)
    assert [(t, d["email"]) for t, d in _events()] == [
        ("lead.created", "ann@example.com"),
        ("lead.created", "bob@example.com"),  # ann is known: updated, not created
    ]
