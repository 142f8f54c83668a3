"""Reviews: the business rates the closer of a won or lost call once; the closer answers once; the rating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import reviews, service
from closerhub.outcomes.models import Review
from closerhub.outcomes.service import OutcomeData
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


def outcome(deal, data: OutcomeData, day: int = 0):
    call = make_call(deal, CALL_AT + timedelta(days=day))
    with frozen_at(AFTER_CALL + timedelta(days=day)):
        return service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())


WON = OutcomeData(result="won", deal_value=Money(100000, "EUR"))
LOST = OutcomeData(result="lost", lost_reason="timing")


def test_the_business_rates_the_closer_and_the_rating_is_the_average(deal) -> None:
    assert reviews.closer_rating(db.session, deal.closer.id) == reviews.Rating(None, 0)
    reviews.add_review(db.session, deal.owner, outcome(deal, WON).id, 5, "Sharp and kind.", now=clock.utcnow())
    reviews.add_review(db.session, deal.owner, outcome(deal, LOST, 1).id, 4, now=clock.utcnow())
    assert reviews.closer_rating(db.session, deal.closer.id) == reviews.Rating(4.5, 2)


def test_one_review_per_call_and_only_after_a_won_or_lost_outcome(deal) -> None:
    won = outcome(deal, WON)
    reviews.add_review(db.session, deal.owner, won.id, 5, now=clock.utcnow())
    with pytest.raises(Conflict) as exc:
        reviews.add_review(db.session, deal.owner, won.id, 1, now=clock.utcnow())
    assert exc.value.code == "review_exists"
    no_show = outcome(deal, OutcomeData(result="no_show"), 1)
    with pytest.raises(Conflict):
        reviews.add_review(db.session, deal.owner, no_show.id, 3, now=clock.utcnow())
    assert db.session.scalar(select(func.count(Review.id))) == 1


@pytest.mark.parametrize(
    "rating", [0, 6, -1]
)  # a rating that is not an int stops at the form (test_outcome_forms_in_place)
def test_a_rating_outside_1_to_5_is_refused(deal, rating) -> None:
    with pytest.raises(ValidationError) as exc:
        reviews.add_review(db.session, deal.owner, outcome(deal, WON).id, rating, now=clock.utcnow())
    assert "rating" in exc.value.field_errors
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_only_the_business_of_the_call_reviews(deal, make_user) -> None:
    won = outcome(deal, WON)
    with pytest.raises(NotFound):
        reviews.add_review(db.session, make_user("business"), won.id, 5, now=clock.utcnow())
    with pytest.raises(PermissionDenied):
        reviews.add_review(db.session, deal.closer, won.id, 5, now=clock.utcnow())


def test_the_closer_answers_once(deal, make_user) -> None:
    review = reviews.add_review(
        db.session, deal.owner, outcome(deal, WON).id, 2, "Late to the call.", now=clock.utcnow()
    )
    with pytest.raises(PermissionDenied):
        reviews.reply(db.session, deal.owner, review.id, "No", now=clock.utcnow())
    with pytest.raises(NotFound):
        reviews.reply(db.session, make_user("closer"), review.id, "Not mine", now=clock.utcnow())
    with pytest.raises(ValidationError):
        reviews.reply(db.session, deal.closer, review.id, "   ", now=clock.utcnow())
    reviews.reply(db.session, deal.closer, review.id, "The previous call overran; sorry.", now=clock.utcnow())
    with pytest.raises(Conflict):
        reviews.reply(db.session, deal.closer, review.id, "Again", now=clock.utcnow())
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply == "The previous call overran; sorry."
