"""The closer's reviews page (/reviews): every review with one answer each; reviews on the public profile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import reviews, service
from closerhub.outcomes.models import Review
from closerhub.outcomes.service import OutcomeData
from tests.conftest import _logged_in
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal


@pytest.fixture
def deal(make_user: Any) -> Any:
    return make_deal(make_user)


def reviewed(deal: Any, rating: int, comment: str = "", day: int = 0) -> Review:
    call = make_call(deal, CALL_AT + timedelta(days=day))
    with frozen_at(AFTER_CALL + timedelta(days=day)):
        outcome = service.record_outcome(
            db.session,
            deal.closer,
            call.id,
            OutcomeData(result="won", deal_value=Money(100000, "EUR")),
            now=clock.utcnow(),
        )
        return reviews.add_review(db.session, deal.owner, outcome.id, rating, comment, now=clock.utcnow())


def test_the_closer_reads_their_reviews_and_answers_one_once(app: Flask, deal: Any) -> None:
    review = reviewed(deal, 4, "Good energy, a bit fast.")
    closer = _logged_in(app, deal.closer)
    html = closer.get("/reviews").get_data(as_text=True)
    assert "Good energy, a bit fast." in html and "Rated 4.0/5 over 1 review(s)." in html
    assert f'action="/reviews/{review.id}/reply"' in html
    response = closer.post(f"/reviews/{review.id}/reply", data={"reply": "Thanks, I will slow down."})
    assert response.status_code == 302 and response.headers["Location"].endswith("/reviews")
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply == "Thanks, I will slow down."
    html = closer.get("/reviews").get_data(as_text=True)
    assert 'data-testid="reply"' in html and f'action="/reviews/{review.id}/reply"' not in html
    again = closer.post(f"/reviews/{review.id}/reply", data={"reply": "Second thoughts"})
    assert again.status_code == 409 and "already answered" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply == "Thanks, I will slow down."


def test_an_empty_answer_is_refused_with_the_form_again(app: Flask, deal: Any) -> None:
    review = reviewed(deal, 3)
    response = _logged_in(app, deal.closer).post(f"/reviews/{review.id}/reply", data={"reply": "   "})
    assert response.status_code == 422 and "Please correct the highlighted fields." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply is None


def test_another_closer_cannot_answer_and_gets_404(app: Flask, deal: Any, make_user: Any) -> None:
    review = reviewed(deal, 2)
    response = _logged_in(app, make_user("closer")).post(f"/reviews/{review.id}/reply", data={"reply": "Not mine"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply is None


def test_businesses_cannot_open_the_reviews_page(app: Flask, deal: Any) -> None:
    assert _logged_in(app, deal.owner).get("/reviews").status_code == 403


def test_the_public_profile_shows_the_reviews_the_answers_and_the_rating(app: Flask, deal: Any, make_user: Any) -> None:
    first = reviewed(deal, 5, "Closed our biggest deal.")
    reviewed(deal, 4, "", day=1)
    reviews.reply(db.session, deal.closer, first.id, "A pleasure to work with you.", now=clock.utcnow())
    html = _logged_in(app, make_user("business")).get(f"/closers/{deal.closer.id}").get_data(as_text=True)
    assert html.count('data-testid="review"') == 2
    assert "Closed our biggest deal." in html and "A pleasure to work with you." in html
    assert "4.5/5 from 2 review(s)" in html and "4.5 / 5" in html
    assert deal.offer.business.name in html
