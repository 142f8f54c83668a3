"""API v1 routes of a business's offers and team.

Same service functions as the HTML pages (``businesses.offers``, ``businesses.team``).
Another business's offer is a 404, exactly like a missing one. The profile itself
(``GET/PUT /businesses/me``, ``GET /businesses/{id}``) is at the end.
"""

from __future__ import annotations

from typing import Any

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schemas import Page
from closerhub.businesses import offers, team
from closerhub.businesses.commands import BusinessSettings, Invitation, OfferData
from closerhub.businesses.models import Business, BusinessMember, Offer, TeamInvitation
from closerhub.businesses.schemas import (
    BusinessIn,
    BusinessOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    OfferIn,
    OfferOut,
    OfferQuery,
)
from closerhub.businesses.service import update_business
from closerhub.commands import errors_for
from closerhub.core.errors import NotFound
from closerhub.core.i18n import _
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.notifications.service import public_url
from closerhub.security import allows_http_origins


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(
        id=offer.id,
        business_id=offer.business_id,
        name=offer.name,
        price={"amount": offer.price_amount, "currency": offer.price_currency},  # type: ignore[arg-type]
        description=offer.description,
        sales_cycle_days=offer.sales_cycle_days,
        closing_script=offer.closing_script,
        qualification_notes=offer.qualification_notes,
        booking_questions=list(offer.booking_questions or []),
        active=offer.is_active,
        calls_recorded=offer.calls_recorded,
        call_minutes=offer.call_minutes,
        start_increment_minutes=offer.start_increment_minutes,
        booking_key=offer.booking_key,
        created_at=offer.created_at,
        updated_at=offer.updated_at,
    )


def _offer_data(user: User, body: OfferIn) -> OfferData:
    business = db.session.get(Business, user.business_id) if user.business_id else None
    currency = body.price.currency or (business.currency if business else "EUR")
    return OfferData(
        name=body.name,
        price=Money(body.price.amount, currency),
        description=body.description,
        sales_cycle_days=body.sales_cycle_days,
        closing_script=body.closing_script,
        qualification_notes=body.qualification_notes,
        booking_questions=tuple(body.booking_questions),
        is_active=body.active,
        calls_recorded=body.calls_recorded,
        call_minutes=body.call_minutes,
        start_increment_minutes=body.start_increment_minutes,
    )


# --- offers ----------------------------------------------------------------------------


@api_route(
    "POST",
    "/offers",
    summary="Create an offer",
    auth=("business",),
    body=OfferIn,
    response=OfferOut,
    status=201,
    idempotent=True,
    tags=("offers",),
)
def create_offer(body: OfferIn) -> OfferOut:
    """Any member of the business may create offers. `price.amount` is in minor units and above zero;
    `price.currency` defaults to the business's currency. At most 10 booking questions."""
    user = current_api_user()
    with errors_for(OfferData, "api"):
        return offer_out(offers.create_offer(db.session, user, _offer_data(user, body), now=clock.utcnow()))


@api_route(
    "GET",
    "/offers",
    summary="Your business's offers (admins: every business's)",
    auth=("business", "admin"),
    query=OfferQuery,
    response=Page[OfferOut],
    tags=("offers",),
)
def list_offers(query: OfferQuery) -> dict[str, Any]:
    """Oldest first; `?active=true` for the active ones only."""
    stmt = offers.offers_query(current_api_user())
    if query.active is not None:
        stmt = stmt.where(Offer.is_active.is_(query.active))
    return paginate(db.session, stmt, Offer.id, query, lambda o: offer_out(o).model_dump(mode="json"))


@api_route("GET", "/offers/<int:offer_id>", summary="One offer", response=OfferOut, tags=("offers",))
def get_offer(offer_id: int) -> OfferOut:
    """Another business's offer is a 404, exactly like a missing one."""
    return offer_out(offers.find_offer(db.session, offer_id, current_api_user()))


@api_route(
    "PUT",
    "/offers/<int:offer_id>",
    summary="Replace an offer",
    auth=("business",),
    body=OfferIn,
    response=OfferOut,
    tags=("offers",),
)
def update_offer(offer_id: int, body: OfferIn) -> OfferOut:
    """Replaces every field (an omitted optional field is cleared); the booking key is kept."""
    user = current_api_user()
    offers.find_offer(db.session, offer_id, user)  # 404 before any input error
    with errors_for(OfferData, "api"):
        return offer_out(offers.update_offer(db.session, user, offer_id, _offer_data(user, body), now=clock.utcnow()))


@api_route(
    "POST",
    "/offers/<int:offer_id>/booking-key",
    summary="Rotate an offer's booking key",
    auth=("business",),
    response=OfferOut,
    tags=("offers",),
)
def rotate_offer_booking_key(offer_id: int) -> OfferOut:
    """Links carrying the old key stop working at once."""
    return offer_out(offers.rotate_booking_key(db.session, current_api_user(), offer_id, now=clock.utcnow()))


# --- team ------------------------------------------------------------------------------


def _my_business() -> Business:
    user = current_api_user()
    if user.business_id is None:
        raise NotFound(_("You are not a member of a business."))
    return find_visible(Business, user.business_id, user)


def member_out(member: BusinessMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        user_id=member.user_id,
        name=member.user.name,
        email=member.user.email,
        role=member.role.value,
        joined_at=member.created_at,
    )


def invitation_out(invitation: TeamInvitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        language=invitation.language,
        status=invitation.status(clock.utcnow()).value,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


@api_route(
    "GET",
    "/businesses/me/members",
    summary="Your business's team",
    auth=("business",),
    response=Page[MemberOut],
    tags=("businesses",),
)
def list_members() -> dict[str, Any]:
    """The owner first, then members by join date (one page: `next_cursor` is null)."""
    members = team.members(db.session, _my_business())
    return {"data": [member_out(m).model_dump(mode="json") for m in members], "next_cursor": None}


@api_route(
    "POST",
    "/businesses/me/invitations",
    summary="Invite a colleague by email (owner)",
    auth=("business",),
    body=InvitationIn,
    response=InvitationOut,
    status=201,
    idempotent=True,
    rate_limit="30 per hour",
    errors=(409,),
    tags=("businesses",),
)
def create_invitation(body: InvitationIn) -> InvitationOut:
    """Emails a single-use link, valid 7 days, to join as a member. An address that already has
    a CloserHub account is a 409 `account_exists` (a user belongs to at most one business)."""
    invitation = team.invite(
        db.session,
        current_api_user(),
        _my_business(),
        Invitation(email=body.email, language=body.language),
        join_url_for=lambda token: public_url("businesses.join", token=token),
        now=clock.utcnow(),
    )
    return invitation_out(invitation)


@api_route(
    "GET",
    "/businesses/me/invitations",
    summary="Pending invitations of your business",
    auth=("business",),
    response=Page[InvitationOut],
    tags=("businesses",),
)
def list_invitations() -> dict[str, Any]:
    """Newest first (one page: `next_cursor` is null)."""
    rows = team.pending_invitations(db.session, _my_business(), clock.utcnow())
    return {"data": [invitation_out(i).model_dump(mode="json") for i in rows], "next_cursor": None}


@api_route(
    "DELETE",
    "/businesses/me/invitations/<int:invitation_id>",
    summary="Cancel a pending invitation (owner)",
    auth=("business",),
    response=InvitationOut,
    errors=(409,),
    tags=("businesses",),
)
def revoke_invitation(invitation_id: int) -> InvitationOut:
    return invitation_out(
        team.revoke_invitation(db.session, current_api_user(), _my_business(), invitation_id, now=clock.utcnow())
    )


@api_route(
    "DELETE",
    "/businesses/me/members/<int:member_id>",
    summary="Remove a member from your team (owner)",
    auth=("business",),
    status=204,
    errors=(409,),
    tags=("businesses",),
)
def remove_member(member_id: int) -> None:
    """The member's account is suspended and its API tokens revoked; the owner cannot be removed (409)."""
    team.remove_member(db.session, current_api_user(), _my_business(), member_id, now=clock.utcnow())


# --- the business ----------------------------------------------------------------------


@api_route(
    "GET", "/businesses/me", summary="Your business", auth=("business",), response=BusinessOut, tags=("businesses",)
)
def get_my_business() -> BusinessOut:
    return BusinessOut.model_validate(_my_business())


@api_route(
    "PUT",
    "/businesses/me",
    summary="Update your business (owner)",
    auth=("business",),
    body=BusinessIn,
    response=BusinessOut,
    tags=("businesses",),
)
def update_my_business(body: BusinessIn) -> BusinessOut:
    """Replaces the profile: a missing `website`, `brand_color`, `logo_url` or `embed_origins` clears it.
    Only the owner may change it (403)."""
    settings = BusinessSettings(
        name=body.name,
        website=body.website,
        timezone=body.timezone,
        currency=body.currency,
        industry=body.industry,
        prospect_languages=tuple(body.prospect_languages),
        prospect_timezones=tuple(body.prospect_timezones),
        brand_color=body.brand_color,
        logo_url=body.logo_url,
        embed_origins=tuple(body.embed_origins),
    )
    with errors_for(BusinessSettings, "api"):
        business = update_business(
            db.session, current_api_user(), _my_business(), settings, allow_http_origins=allows_http_origins()
        )
    return BusinessOut.model_validate(business)


@api_route(
    "GET",
    "/businesses/<int:business_id>",
    summary="A business you belong to (admins: any)",
    response=BusinessOut,
    tags=("businesses",),
)
def get_business(business_id: int) -> BusinessOut:
    """Another tenant's business is a 404, exactly like a missing one."""
    return BusinessOut.model_validate(find_visible(Business, business_id, current_api_user()))
