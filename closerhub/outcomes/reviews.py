"""Reviews: after a won or lost call the business rates the closer 1–5; the closer may answer once.

Ratings feed matching and the closer's profile through ``closer_rating``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.businesses.service import clean_text
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.db import get_by_id
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus, Review
from closerhub.outcomes.ratings import Rating, closer_rating, closer_ratings
from closerhub.outcomes.service import find_outcome

__all__ = [
    "Rating",
    "add_review",
    "business_names",
    "closer_rating",
    "closer_ratings",
    "closer_reviews",
    "reply",
    "review_of",
    "reviews_of",
]

REVIEWABLE = (OutcomeResult.WON, OutcomeResult.LOST)
TEXT_MAX = 2000


def review_of(session: Session, outcome: Outcome) -> Review | None:
    return session.scalar(select(Review).where(Review.appointment_id == outcome.appointment_id))


def reviews_of(session: Session, outcomes: list[Outcome]) -> dict[int, Review | None]:
    """Each outcome's review (None when not reviewed) by outcome id, in one query for a whole list."""
    calls = {o.appointment_id: o.id for o in outcomes}
    found: Iterable[Review] = session.scalars(select(Review).where(Review.appointment_id.in_(calls))) if calls else []
    by_call = {r.appointment_id: r for r in found}
    return {outcome_id: by_call.get(call_id) for call_id, outcome_id in calls.items()}


def add_review(
    session: Session, actor: User, outcome_id: int, rating: int, comment: str = "", *, now: datetime
) -> Review:
    """A member of the business rates the closer of a won or lost call, once per call."""
    outcome = find_outcome(session, outcome_id, actor)
    if actor.business_id is None or actor.business_id != outcome.business_id:
        raise PermissionDenied(_("Only the business can review the closer of this call."))
    if outcome.result not in REVIEWABLE or outcome.status == OutcomeStatus.VOIDED:
        raise Conflict(_("Only a won or lost call can be reviewed."), code="not_reviewable")
    if review_of(session, outcome) is not None:
        raise Conflict(_("This call has already been reviewed."), code="review_exists")
    errors: dict[str, str] = {}
    if not 1 <= rating <= 5:
        errors["rating"] = _("Give a rating from 1 to 5.")
    text = ""
    try:
        text = clean_text(comment, "comment", TEXT_MAX, multiline=True)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationError(next(iter(errors.values())), field_errors=errors)
    review = Review(
        appointment_id=outcome.appointment_id,
        outcome_id=outcome.id,
        business_id=outcome.business_id,
        closer_id=outcome.closer_id,
        author_id=actor.id,
        rating=rating,
        comment=text,
        created_at=now,
    )
    session.add(review)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(_("This call has already been reviewed."), code="review_exists") from None
    session.commit()
    return review


def reply(session: Session, actor: User, review_id: int, text: str, *, now: datetime) -> Review:
    """The reviewed closer answers a review, once."""
    review = get_by_id(session, Review, review_id)
    if review is None or not review.can_view(actor):
        raise NotFound(_("Review not found."))
    if actor.id != review.closer_id:
        raise PermissionDenied(_("Only the reviewed closer can answer."))
    if review.reply is not None:
        raise Conflict(_("You have already answered this review."), code="reply_exists")
    answer = clean_text(text, "reply", TEXT_MAX, multiline=True)
    if not answer:
        raise ValidationError(_("Write your answer."), field_errors={"reply": _("Write your answer.")})
    review.reply = answer
    review.replied_at = now
    session.commit()
    return review


def business_names(session: Session, items: list[Review]) -> dict[int, str]:
    """The reviewing businesses' names, in one query (a review is signed by its business, not a person)."""
    ids = {r.business_id for r in items}
    if not ids:
        return {}
    return dict(session.execute(select(Business.id, Business.name).where(Business.id.in_(ids))).tuples().all())


def closer_reviews(session: Session, closer_id: int, limit: int = 20) -> list[Review]:
    """The closer's latest reviews, newest first (their public profile and their own reviews page)."""
    stmt = (
        select(Review)
        .where(Review.closer_id == closer_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
