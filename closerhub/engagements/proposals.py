"""Proposing an engagement: check the closer, the offer and the rate together, then insert (one open per pair).

``change_rate`` (``rate_changes``) reuses the checks and the insertion for its new proposal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.businesses.models import Offer
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.db import get_by_id
from closerhub.engagements.commands import Proposal
from closerhub.engagements.emails import notify
from closerhub.engagements.history import audit
from closerhub.engagements.models import OPEN_STATUSES, CommissionBasis, Engagement, EngagementStatus
from closerhub.engagements.terms import clean_rate, closer_min_rate, fail, percent_label
from closerhub.vetting.service import is_approved


def _closer(session: Session, closer_id: int) -> User:
    user = get_by_id(session, User, closer_id)
    # Businesses engage only closers an admin has verified; one still in vetting is answered
    # exactly like an unknown id, so a guessed id reveals neither the closer nor their name.
    if (
        user is None
        or user.role != Role.CLOSER
        or user.status != AccountStatus.ACTIVE
        or not is_approved(session, user.id)
    ):
        raise fail("closer_id", _("There is no closer with this id."))
    return user


def _own_offer(session: Session, actor: User, offer_id: int) -> Offer:
    offer = get_by_id(session, Offer, offer_id)
    if offer is None or offer.business_id != actor.business_id:  # another tenant's offer reads as missing
        raise fail("offer_id", _("There is no offer with this id in your business."))
    if not offer.is_active:
        raise fail(
            "offer_id", _("The offer %(offer)s is inactive; activate it before proposing it.", offer=repr(offer.name))
        )
    return offer


def _require_business_member(actor: User) -> None:
    if actor.business_id is None:
        raise PermissionDenied(_("Only members of a business can propose engagements."))


def _open_engagement(session: Session, closer_id: int, offer_id: int) -> Engagement | None:
    return session.scalar(
        select(Engagement).where(
            Engagement.closer_id == closer_id,
            Engagement.offer_id == offer_id,
            Engagement.status.in_(OPEN_STATUSES),
        )
    )


def _already_open(existing: Engagement) -> Conflict:
    if existing.status == EngagementStatus.PROPOSED:
        template = N_(
            "This offer is already proposed to this closer (engagement #%(id)d). "
            "To change the rate, propose a new rate on that engagement."
        )
    else:
        template = N_(
            "This offer is already active with this closer (engagement #%(id)d). "
            "To change the rate, propose a new rate on that engagement."
        )
    return Conflict(
        _(template, id=existing.id),
        field_errors={"offer_id": _("Already proposed to or active with this closer.")},
        code="engagement_exists",
    )


def validate_proposal(
    session: Session, actor: User, *, closer_id: int, offer_id: int, rate: int | None
) -> tuple[User, Offer, int]:
    """The closer, the offer and the rate of a proposal, or one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    closer: User | None = None
    offer: Offer | None = None
    checked_rate: int | None = None
    try:
        closer = _closer(session, closer_id)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    try:
        offer = _own_offer(session, actor, offer_id)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    try:
        checked_rate = clean_rate(rate)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if closer is not None and checked_rate is not None:
        minimum = closer_min_rate(session, closer)
        if checked_rate < minimum:
            errors["commission_rate_bps"] = _(
                "%(name)s accepts engagements from %(rate)s (%(bps)d bps); propose at least that.",
                name=closer.name,
                rate=percent_label(minimum),
                bps=minimum,
            )
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    assert closer is not None and offer is not None and checked_rate is not None
    return closer, offer, checked_rate


def insert_proposal(
    session: Session,
    actor: User,
    closer: User,
    offer: Offer,
    rate: int,
    previous: Engagement | None,
    now: datetime,
    basis: CommissionBasis = CommissionBasis.CONTRACT_VALUE,
) -> Engagement:
    """Insert a proposed engagement (no commit); an open one for the same (closer, offer) is a 409."""
    existing = _open_engagement(session, closer.id, offer.id)
    if existing is not None:
        raise _already_open(existing)
    engagement = Engagement(
        business_id=offer.business_id,
        offer_id=offer.id,
        closer_id=closer.id,
        commission_rate_bps=rate,
        commission_basis=basis,
        status=EngagementStatus.PROPOSED,
        previous_id=previous.id if previous is not None else None,
        proposed_at=now,
        proposed_by_id=actor.id,
    )
    session.add(engagement)
    try:
        session.flush()  # the partial unique index settles a race the check above could not see
    except IntegrityError:
        session.rollback()
        raise Conflict(
            _("This offer is already proposed to or active with this closer."), code="engagement_exists"
        ) from None
    return engagement


def propose(session: Session, actor: User, proposal: Proposal, *, now: datetime) -> Engagement:
    """A business proposes one of its active offers to a closer at a rate within 10–20 % and the closer's minimum,
    on contract value (the default) or on cash collected."""
    _require_business_member(actor)
    closer, offer, rate = validate_proposal(
        session, actor, closer_id=proposal.closer_id, offer_id=proposal.offer_id, rate=proposal.commission_rate_bps
    )
    engagement = insert_proposal(
        session, actor, closer, offer, rate, previous=None, now=now, basis=proposal.commission_basis
    )
    audit(session, actor, engagement, "proposed", {}, now=now)
    notify(session, engagement, "engagement_proposed", actor, now=now)
    session.commit()
    return engagement
