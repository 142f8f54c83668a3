"""Close rate and rating from real outcomes and reviews: the stats, the profile, search (HTML and API)
explain them ("33 % close rate", "rated 4.5/5") and rank on them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import reviews, service, settlement
from closerhub.outcomes.models import Outcome, OutcomeResult
from closerhub.outcomes.service import OutcomeData
from closerhub.outcomes.track_record import closer_stats
from tests.conftest import _logged_in
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal
from tests.integration.test_search_and_profile_links import NOW, make_searchable

WON = OutcomeData(result="won", deal_value=Money(100000, "EUR"))
LOST = OutcomeData(result="lost", lost_reason="price")
RESULTS = {
    "won": WON,
    "lost": LOST,
    "not_a_fit": OutcomeData(result="not_a_fit"),
    "no_show": OutcomeData(result="no_show"),
    "follow_up": OutcomeData(result="follow_up", next_step="Call back", next_step_at=CALL_AT + timedelta(days=60)),
}


def record(deal: Any, results: list[str], ratings: list[int] = ()) -> None:
    """One past call per result (a day apart), each with its outcome; ``ratings`` rate the won/lost ones in order."""
    rated = list(ratings)
    for day, result in enumerate(results):
        call = make_call(deal, CALL_AT + timedelta(days=day))
        with clock.frozen_at(AFTER_CALL + timedelta(days=day)):
            outcome = service.record_outcome(db.session, deal.closer, call.id, RESULTS[result], now=clock.utcnow())
            if rated and result in ("won", "lost"):
                reviews.add_review(db.session, deal.owner, outcome.id, rated.pop(0), now=clock.utcnow())


def test_close_rate_is_won_over_decided_calls_and_show_rate_comes_from_appointments(make_user: Any) -> None:
    deal = make_deal(make_user)
    record(deal, ["won", "lost", "not_a_fit", "no_show", "follow_up"], ratings=[5, 4])
    stats = closer_stats(db.session, deal.closer.id)
    assert stats.close_rate == 1 / 3  # won / (won + lost + not a fit); no-shows and follow-ups decide nothing
    assert stats.appointments == 5 and stats.show_rate == 4 / 5
    assert (stats.rating, stats.reviews) == (4.5, 2)
    assert reviews.closer_rating(db.session, deal.closer.id) == reviews.Rating(4.5, 2)


def test_search_explains_close_rate_and_rating_from_real_data_in_html_and_api(
    make_user: Any, business_user: Any, client: FlaskClient, app: Any
) -> None:
    deal = make_deal(make_user)
    record(deal, ["won", "lost", "not_a_fit"], ratings=[5, 4])
    make_searchable(deal.closer)
    with clock.frozen_at(NOW):
        page = _logged_in(app, business_user).get("/closers?available_within_days=7").get_data(as_text=True)
        token = client.post(
            "/api/v1/auth/token", json={"email": business_user.email, "password": "correct-horse-battery"}
        ).get_json()["token"]
        body = client.get(
            "/api/v1/closers?available_within_days=7", headers={"Authorization": f"Bearer {token}"}
        ).get_json()
    assert "33 % close rate" in page and "close rate 33 %" in page and "rated 4.5/5" in page
    (item,) = [i for i in body["data"] if i["id"] == deal.closer.id]
    assert item["rating"] == 4.5
    assert item["stats"] == {"appointments": 3, "show_rate": 1.0, "close_rate": 1 / 3, "closer_no_shows": 0}
    assert "33 % close rate" in item["reasons"] and "rated 4.5/5" in item["reasons"]


def test_a_closer_with_a_better_record_ranks_first_all_else_equal(make_user: Any, business_user: Any, app: Any) -> None:
    weak = make_deal(make_user, closer=make_user("closer", name="Wes Weak"))
    strong = make_deal(make_user, closer=make_user("closer", name="Sara Strong"))  # the higher id: ties favour Wes
    record(weak, ["lost", "lost", "lost"], ratings=[2, 2, 2])
    record(strong, ["won", "won", "won"], ratings=[5, 5, 5])
    make_searchable(weak.closer)
    make_searchable(strong.closer)
    with clock.frozen_at(NOW):
        page = _logged_in(app, business_user).get("/closers?available_within_days=7").get_data(as_text=True)
    assert page.index("Sara Strong") < page.index("Wes Weak")


def test_a_voided_outcome_leaves_the_close_rate(make_user: Any, admin_user: Any) -> None:
    deal = make_deal(make_user)
    record(deal, ["won", "lost"])
    won = db.session.scalar(
        select(Outcome).where(Outcome.closer_id == deal.closer.id, Outcome.result == OutcomeResult.WON)
    )
    with clock.frozen_at(AFTER_CALL + timedelta(days=3)):
        settlement.dispute(db.session, deal.owner, won.id, "Never signed.", now=clock.utcnow())
        settlement.resolve_dispute(db.session, admin_user, won.id, note="No contract.", void=True, now=clock.utcnow())
    assert closer_stats(db.session, deal.closer.id).close_rate == 0.0


def test_the_minimum_rating_filter_keeps_closers_rated_that_high_in_html_and_api(
    make_user: Any, business_user: Any, client: FlaskClient, app: Any
) -> None:
    good = make_deal(make_user, closer=make_user("closer", name="Gina Good"))
    poor = make_deal(make_user, closer=make_user("closer", name="Paul Poor"))
    unrated = make_user("closer", name="Nora New")
    record(good, ["won", "lost"], ratings=[5, 4])
    record(poor, ["lost"], ratings=[2])
    for closer in (good.closer, poor.closer, unrated):
        make_searchable(closer)
    business = _logged_in(app, business_user)
    with clock.frozen_at(NOW):
        page = business.get("/closers?available_within_days=7&min_rating=4,5").get_data(as_text=True)
        token = client.post(
            "/api/v1/auth/token", json={"email": business_user.email, "password": "correct-horse-battery"}
        ).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = client.get("/api/v1/closers?min_rating=3", headers=headers).get_json()
        refused_page = business.get("/closers?min_rating=7")
        refused_api = client.get("/api/v1/closers?min_rating=0", headers=headers)
    assert "Gina Good" in page and "Paul Poor" not in page and "Nora New" not in page
    assert [item["name"] for item in body["data"]] == ["Gina Good"]
    assert refused_page.status_code == 422 and "Give a rating from 1 to 5." in refused_page.get_data(as_text=True)
    assert refused_api.status_code == 422
    assert refused_api.get_json()["errors"] == [{"field": "min_rating", "message": "Give a rating from 1 to 5."}]
