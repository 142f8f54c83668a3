"""API v1: a closer's free slots, for an offer's calls when one is given (the viewer's business's,
or one the closer is engaged on): engagements sit above closers and businesses."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.businesses.models import Offer
from closerhub.businesses.offers import find_offer
from closerhub.closers import availability_service as availability
from closerhub.closers import service
from closerhub.closers.schemas import (
    SlotOut,
    SlotsOut,
    SlotsQuery,
)
from closerhub.core.errors import NotFound
from closerhub.core.i18n import _
from closerhub.core.tz import to_local
from closerhub.db import get_by_id
from closerhub.engagements.models import Engagement
from closerhub.extensions import db


def _iso_local(instant: datetime, zone: str) -> str:
    return to_local(instant, zone).replace(microsecond=0).isoformat()


def offer_for_slots(offer_id: int, viewer: User) -> Offer:
    """An offer whose calls ``viewer`` may list: their business's (admins: any), or one they are engaged
    on (closers); NotFound (404) otherwise."""
    if not viewer.is_closer:
        return find_offer(db.session, offer_id, viewer)
    offer = get_by_id(db.session, Offer, offer_id)
    engaged = offer is not None and db.session.scalar(
        select(Engagement.id).where(Engagement.offer_id == offer.id, Engagement.closer_id == viewer.id).limit(1)
    )
    if offer is None or not engaged:
        raise NotFound(_("Offer not found."))
    return offer


@api_route(
    "GET",
    "/closers/<int:closer_id>/slots",
    summary="A closer's free slots on a range of dates",
    query=SlotsQuery,
    response=SlotsOut,
    tags=("closers",),
)
def closer_slots(closer_id: int, query: SlotsQuery) -> SlotsOut:
    """`from`/`to` are dates in `timezone` (the viewer's zone, default yours), inclusive,
    at most 62 days; default today and the 13 days after. Each slot gives its UTC bounds,
    its start in `timezone` and in the closer's zone. The availability page shows the same slots.
    """
    now = clock.utcnow()
    viewer = current_api_user()
    card = service.find_closer(db.session, closer_id, viewer, now)
    zone = query.timezone or viewer.timezone
    first = query.from_ or to_local(now, zone).date()
    last = query.to or first + timedelta(days=availability.PREVIEW_DAYS - 1)
    if query.offer_id is not None:
        call = offer_for_slots(query.offer_id, viewer).call
    else:
        rules = availability.rules_for(db.session, card.user)
        call = (rules.slot_minutes, rules.step)
    slots = availability.slots_for_dates(
        db.session, card.user, viewer_zone=zone, from_date=first, to_date=last, now=now, call=call
    )
    closer_zone = card.user.timezone
    return SlotsOut(
        timezone=zone,
        closer_timezone=closer_zone,
        slot_minutes=call[0],
        start_increment_minutes=call[1],
        offer_id=query.offer_id,
        slots=[
            SlotOut(
                start=s.start,
                end=s.end,
                local_start=_iso_local(s.start, zone),
                closer_local_start=_iso_local(s.start, closer_zone),
            )
            for s in slots
        ],
    )
