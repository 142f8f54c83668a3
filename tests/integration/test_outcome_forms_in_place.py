"""The outcome form opens only once the call has started (the pages say when, in the reader's zone
and language), and the business's dispute and review forms show each error beside its field, on the
page they were posted from, changing nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service
from closerhub.outcomes.models import Outcome, OutcomeStatus, Review
from closerhub.outcomes.service import OutcomeData
from tests.conftest import _logged_in
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

WON_FORM = {"result": "won", "deal_value": "4,800.00", "currency": "EUR", "technique": "summary"}


@pytest.fixture
def deal(make_user: Any) -> Any:
    return make_deal(make_user, closer=make_user("closer", timezone="America/New_York"))


@pytest.fixture
def call(deal: Any) -> Any:
    return make_call(deal)


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def error_beside(html: str, field: str) -> list[str]:
    """The messages shown beside ``field`` (``<small class="error" id="<field>-err">``)."""
    return re.findall(rf'<small class="error" id="{field}-err">([^<]*)<', html)


def outcome_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Outcome.id))) or 0


def test_before_the_call_the_outcome_page_says_when_it_opens_in_the_closers_zone_and_offers_no_form(
    app: Flask, deal: Any, call: Any
) -> None:
    client = _logged_in(app, deal.closer)
    with frozen_at(CALL_AT - timedelta(hours=2)):
        response = client.get(f"/appointments/{call.id}/outcome")
    html = html_of(response)
    assert response.status_code == 200
    assert 'name="result"' not in html and 'data-testid="outcome-not-open"' in html
    # 14:00 UTC is 09:00 in New York, the closer's zone.
    assert "The outcome form opens when the call starts" in html and "9:00\u202fAM" in html


def test_before_the_call_the_outcome_page_speaks_the_closers_language(app: Flask, make_user: Any) -> None:
    deal = make_deal(make_user, closer=make_user("closer", language="fr", timezone="Europe/Paris"))
    call = make_call(deal)
    with frozen_at(CALL_AT - timedelta(hours=2)):
        html = html_of(_logged_in(app, deal.closer).get(f"/appointments/{call.id}/outcome"))
    assert "Le formulaire de résultat s’ouvre au début de l’appel" in html and "15:00" in html


def test_before_the_call_a_direct_post_is_refused_with_the_same_message_and_records_nothing(
    app: Flask, deal: Any, call: Any
) -> None:
    client = _logged_in(app, deal.closer)
    with frozen_at(CALL_AT - timedelta(minutes=5)):
        response = client.post(f"/appointments/{call.id}/outcome", data=WON_FORM)
    assert response.status_code == 409 and "has not started yet" in html_of(response)
    assert 'name="result"' not in html_of(response)
    assert outcome_count() == 0


def test_once_the_call_has_started_the_form_is_offered(app: Flask, deal: Any, call: Any) -> None:
    with frozen_at(CALL_AT + timedelta(minutes=1)):
        html = html_of(_logged_in(app, deal.closer).get(f"/appointments/{call.id}/outcome"))
    assert 'name="result"' in html and 'data-testid="outcome-not-open"' not in html


def test_before_the_call_the_call_page_tells_the_closer_when_the_outcome_form_opens(
    app: Flask, deal: Any, call: Any
) -> None:
    with frozen_at(CALL_AT - timedelta(hours=2)):
        html = html_of(_logged_in(app, deal.closer).get(f"/appointments/{call.id}"))
    assert 'data-testid="outcome-not-open"' in html and "9:00\u202fAM" in html  # the closer's New York time
    with frozen_at(AFTER_CALL):
        html = html_of(_logged_in(app, deal.closer).get(f"/appointments/{call.id}"))
    assert 'data-testid="outcome-not-open"' not in html


def recorded(deal: Any, call: Any, result: OutcomeData | None = None) -> Outcome:
    with frozen_at(AFTER_CALL):
        return service.record_outcome(
            db.session, deal.closer, call.id, result or OutcomeData("won", Money(480000, "EUR")), now=AFTER_CALL
        )


@pytest.mark.parametrize("back", ["appointment", ""])
def test_an_empty_dispute_shows_its_message_beside_the_reason_on_the_page_it_came_from(
    app: Flask, deal: Any, call: Any, back: str
) -> None:
    outcome = recorded(deal, call)
    client = _logged_in(app, deal.owner)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        response = client.post(f"/outcomes/{outcome.id}/dispute", data={"reason": "   ", "back": back})
    html = html_of(response)
    assert response.status_code == 422
    assert error_beside(html, "reason") == ["Say why you dispute this outcome."]
    if back:  # the call's page again, not the list
        assert 'data-testid="dispute-outcome"' in html and 'data-testid="call"' not in html
    else:
        assert f'data-testid="dispute-{outcome.id}"' in html
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.RECORDED


@pytest.mark.parametrize("back", ["appointment", ""])
@pytest.mark.parametrize("rating", ["", "9"])
def test_a_bad_rating_shows_its_message_beside_the_rating_and_saves_no_review(
    app: Flask, deal: Any, call: Any, back: str, rating: str
) -> None:
    outcome = recorded(deal, call)
    client = _logged_in(app, deal.owner)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        assert client.post(f"/outcomes/{outcome.id}/confirm").status_code == 302
        response = client.post(f"/outcomes/{outcome.id}/review", data={"rating": rating, "back": back})
    assert response.status_code == 422
    assert error_beside(html_of(response), "rating") == ["Give a rating from 1 to 5."]
    assert db.session.scalar(select(func.count(Review.id))) == 0


@pytest.mark.parametrize("rating", ["4.5", "five"])
def test_a_rating_that_is_not_a_whole_number_is_refused_by_the_form_and_saves_no_review(
    app: Flask, deal: Any, call: Any, rating: str
) -> None:
    # The service takes an int (``reviews.add_review``): text that is not one stops at the form.
    outcome = recorded(deal, call)
    client = _logged_in(app, deal.owner)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        assert client.post(f"/outcomes/{outcome.id}/confirm").status_code == 302
        response = client.post(f"/outcomes/{outcome.id}/review", data={"rating": rating})
    assert response.status_code == 422
    assert "Give a rating from 1 to 5." in error_beside(html_of(response), "rating")
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_follow_up_without_its_date_shows_the_message_beside_the_date_field_and_records_nothing(
    app: Flask, deal: Any, call: Any
) -> None:
    # The service names the command's field (next_step_at); OutcomeData.form_names puts it beside the form's.
    client = _logged_in(app, deal.closer)
    with frozen_at(AFTER_CALL):
        response = client.post(
            f"/appointments/{call.id}/outcome", data={"result": "follow_up", "next_step": "Send the proposal"}
        )
    assert response.status_code == 422
    assert error_beside(html_of(response), "next_step_date") == ["Give the date of the next step."]
    assert outcome_count() == 0
