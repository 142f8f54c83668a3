"""API v1 engagement routes: propose, accept, decline, withdraw, end, change the rate; list and read.

Same service functions as the HTML pages (``engagements.service``). Wrong role 403,
anyone else's engagement 404, a transition the status does not allow 409, bad input 422.
"""

from __future__ import annotations

from typing import Any

from flask import request

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schemas import Page, dump
from closerhub.api.validation import parse_json
from closerhub.businesses.schemas import (
    DeclineIn,
    EndIn,
    EngagementIn,
    EngagementOut,
    EngagementQuery,
    RateChangeIn,
)
from closerhub.commands import errors_for
from closerhub.engagements import service
from closerhub.engagements.commands import Proposal, RateChange
from closerhub.engagements.models import CommissionBasis, Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.webhooks import payloads as webhook_payloads


def engagement_out(e: Engagement) -> EngagementOut:
    offer, business, closer = e.offer, e.business, e.closer
    return EngagementOut.model_validate(
        {
            "id": e.id,
            "status": e.status.value,
            "commission_rate_bps": e.commission_rate_bps,
            "commission_basis": e.commission_basis.value,
            "can_book": e.is_active and offer.is_active,
            "closer": {"id": closer.id, "name": closer.name, "timezone": closer.timezone},
            "business": {
                "id": business.id,
                "name": business.name,
                "website": business.website,
                "industry": business.industry,
                "timezone": business.timezone,
                "prospect_languages": list(business.prospect_languages or []),
                "prospect_timezones": list(business.prospect_timezones or []),
            },
            "offer": {
                "id": offer.id,
                "name": offer.name,
                "price": {"amount": offer.price_amount, "currency": offer.price_currency},
                "description": offer.description,
                "sales_cycle_days": offer.sales_cycle_days,
                "closing_script": offer.closing_script,
                "qualification_notes": offer.qualification_notes,
                "booking_questions": list(offer.booking_questions or []),
                "active": offer.is_active,
            },
            "previous_id": e.previous_id,
            "proposed_at": e.proposed_at,
            "proposed_by_id": e.proposed_by_id,
            "accepted_at": e.accepted_at,
            "declined_at": e.declined_at,
            "decline_reason": e.decline_reason,
            "withdrawn_at": e.withdrawn_at,
            "withdrawn_by_id": e.withdrawn_by_id,
            "ended_at": e.ended_at,
            "ended_by_id": e.ended_by_id,
            "end_reason": e.end_reason,
        }
    )


def engagement_data(engagement: Engagement) -> dict[str, Any]:
    """A engagement as a webhook event's ``data``: the API resource, JSON-ready."""
    return dump(engagement_out(engagement))


webhook_payloads.register("engagement", engagement_data)


@api_route(
    "POST",
    "/engagements",
    summary="Propose an engagement to a closer (business)",
    auth=("business",),
    body=EngagementIn,
    response=EngagementOut,
    status=201,
    idempotent=True,
    errors=(409,),
    tags=("engagements",),
)
def propose_engagement(body: EngagementIn) -> EngagementOut:
    """Proposes one of your active offers at `commission_rate_bps` (1000–2000, and never below the
    closer's `min_rate_bps`: 422). The closer and your team are emailed. An offer already proposed
    to or active with this closer is a 409 `engagement_exists`: change the rate on that engagement."""
    proposal = Proposal(
        closer_id=body.closer_id,
        offer_id=body.offer_id,
        commission_rate_bps=body.commission_rate_bps,
        commission_basis=CommissionBasis(body.commission_basis),
    )
    with errors_for(Proposal, "api"):
        engagement = service.propose(db.session, current_api_user(), proposal, now=clock.utcnow())
    return engagement_out(engagement)


@api_route(
    "GET",
    "/engagements",
    summary="Your engagements",
    query=EngagementQuery,
    response=Page[EngagementOut],
    tags=("engagements",),
)
def list_engagements(query: EngagementQuery) -> dict[str, Any]:
    """A closer's own, a business's, or (admins) every engagement; oldest first. Filter by
    `status`, `offer_id` or `closer_id`."""
    statuses = (EngagementStatus(query.status),) if query.status else ()
    stmt = service.engagements_query(current_api_user(), statuses=statuses)
    if query.offer_id is not None:
        stmt = stmt.where(Engagement.offer_id == query.offer_id)
    if query.closer_id is not None:
        stmt = stmt.where(Engagement.closer_id == query.closer_id)
    return paginate(db.session, stmt, Engagement.id, query, lambda e: engagement_out(e).model_dump(mode="json"))


@api_route(
    "GET", "/engagements/<int:engagement_id>", summary="One engagement", response=EngagementOut, tags=("engagements",)
)
def get_engagement(engagement_id: int) -> EngagementOut:
    """With the offer (script included) and the business, as the closer reads them before accepting."""
    return engagement_out(service.find_engagement(db.session, engagement_id, current_api_user()))


@api_route(
    "POST",
    "/engagements/<int:engagement_id>/accept",
    summary="Accept a proposal (closer)",
    auth=("closer",),
    response=EngagementOut,
    errors=(409,),
    tags=("engagements",),
)
def accept_engagement(engagement_id: int) -> EngagementOut:
    """The engagement becomes active: calls can be booked. Only a proposed engagement can be accepted (409)."""
    return engagement_out(service.accept(db.session, current_api_user(), engagement_id, now=clock.utcnow()))


@api_route(
    "POST",
    "/engagements/<int:engagement_id>/decline",
    summary="Decline a proposal with a reason (closer)",
    auth=("closer",),
    body=DeclineIn,
    response=EngagementOut,
    errors=(409,),
    tags=("engagements",),
)
def decline_engagement(engagement_id: int, body: DeclineIn) -> EngagementOut:
    """`reason` is required: the business reads it."""
    return engagement_out(
        service.decline(db.session, current_api_user(), engagement_id, body.reason, now=clock.utcnow())
    )


@api_route(
    "POST",
    "/engagements/<int:engagement_id>/withdraw",
    summary="Withdraw a proposal (business)",
    auth=("business",),
    response=EngagementOut,
    errors=(409,),
    tags=("engagements",),
)
def withdraw_engagement(engagement_id: int) -> EngagementOut:
    """Only a proposal the closer has not answered can be withdrawn (409 otherwise)."""
    return engagement_out(service.withdraw(db.session, current_api_user(), engagement_id, now=clock.utcnow()))


@api_route(
    "POST",
    "/engagements/<int:engagement_id>/end",
    summary="End an active engagement (either side)",
    response=EngagementOut,
    errors=(409,),
    tags=("engagements",),
)
def end_engagement(engagement_id: int) -> EngagementOut:
    """The body is optional: `{"reason": "..."}`. No new calls can be booked afterwards."""
    body = parse_json(EndIn) if request.get_data(cache=True).strip() else EndIn()
    return engagement_out(service.end(db.session, current_api_user(), engagement_id, body.reason, now=clock.utcnow()))


@api_route(
    "POST",
    "/engagements/<int:engagement_id>/change-rate",
    summary="Propose a new rate (business): a new engagement replaces this one",
    auth=("business",),
    body=RateChangeIn,
    response=EngagementOut,
    status=201,
    errors=(409,),
    tags=("engagements",),
)
def change_engagement_rate(engagement_id: int, body: RateChangeIn) -> EngagementOut:
    """The current engagement ends (or, if still proposed, is withdrawn) and a new one is proposed at
    the new rate, with `previous_id` pointing back: history is kept. Booking waits for the closer to
    accept the new rate."""
    basis = CommissionBasis(body.commission_basis) if body.commission_basis is not None else None
    change = RateChange(commission_rate_bps=body.commission_rate_bps, commission_basis=basis)
    with errors_for(RateChange, "api"):
        engagement = service.change_rate(db.session, current_api_user(), engagement_id, change, now=clock.utcnow())
    return engagement_out(engagement)
