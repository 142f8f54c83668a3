"""The outcome on a call's page: the closer records it once the call has started and sees it after;
the business confirms or disputes it there and rates the closer after a won or lost call; a follow-up
outcome books the next call at its next-step time in one click."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service
from closerhub.outcomes.models import Outcome, OutcomeStatus, Review
from closerhub.outcomes.service import OutcomeData
from tests.conftest import _logged_in
from tests.integration.booking_setup import TUESDAY_9, book, frozen, setting
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

__all__ = ["frozen", "setting"]  # fixtures

WON = OutcomeData(result="won", deal_value=Money(100000, "EUR"))


@pytest.fixture
def deal(make_user: Any) -> Any:
    return make_deal(make_user)


@pytest.fixture
def call(deal: Any) -> Appointment:
    return make_call(deal)


def page(client: Any, appointment_id: int) -> tuple[int, str]:
    response = client.get(f"/appointments/{appointment_id}")
    return response.status_code, response.get_data(as_text=True)


def test_the_closer_gets_record_the_outcome_only_once_the_call_has_started(app: Flask, deal: Any, call: Any) -> None:
    closer = _logged_in(app, deal.closer)
    link = f'href="/appointments/{call.id}/outcome"'
    with frozen_at(CALL_AT - timedelta(minutes=5)):
        status, html = page(closer, call.id)
    assert status == 200 and link not in html and 'data-testid="record-outcome"' not in html
    with frozen_at(CALL_AT + timedelta(minutes=1)):
        status, html = page(closer, call.id)
    assert status == 200 and link in html and "Record the outcome" in html


def test_the_business_never_gets_the_record_link(app: Flask, deal: Any, call: Any) -> None:
    with frozen_at(AFTER_CALL):
        status, html = page(_logged_in(app, deal.owner), call.id)
    assert status == 200 and 'data-testid="record-outcome"' not in html


def test_once_recorded_both_sides_see_the_summary_and_the_business_gets_confirm_and_dispute(
    app: Flask, deal: Any, call: Any
) -> None:
    with frozen_at(AFTER_CALL):
        service.record_outcome(db.session, deal.closer, call.id, WON, now=clock.utcnow())
        _status, closer_html = page(_logged_in(app, deal.closer), call.id)
        _status, business_html = page(_logged_in(app, deal.owner), call.id)
    for html in (closer_html, business_html):
        assert 'data-testid="outcome-summary"' in html and "Won" in html and "1,000.00" in html
    assert 'data-testid="record-outcome"' not in closer_html
    assert 'data-testid="correct-outcome"' in closer_html
    assert 'data-testid="confirm-outcome"' not in closer_html and 'data-testid="dispute-outcome"' not in closer_html
    assert 'data-testid="confirm-outcome"' in business_html and 'data-testid="dispute-outcome"' in business_html
    assert 'data-testid="review-form"' in business_html  # a won call can be rated


def test_a_dispute_from_the_call_page_returns_to_it_and_an_empty_reason_changes_nothing(
    app: Flask, deal: Any, call: Any
) -> None:
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(db.session, deal.closer, call.id, WON, now=clock.utcnow())
        business = _logged_in(app, deal.owner)
        refused = business.post(f"/outcomes/{outcome.id}/dispute", data={"reason": "  ", "back": "appointment"})
        assert refused.status_code == 422
        db.session.expire_all()
        assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.RECORDED
        done = business.post(
            f"/outcomes/{outcome.id}/dispute", data={"reason": "No deal was signed.", "back": "appointment"}
        )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/appointments/{call.id}")
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.DISPUTED


def test_the_review_form_on_the_call_page_saves_one_review_and_then_shows_it(app: Flask, deal: Any, call: Any) -> None:
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(
            db.session, deal.closer, call.id, OutcomeData(result="lost", lost_reason="price"), now=clock.utcnow()
        )
        business = _logged_in(app, deal.owner)
        bad = business.post(f"/outcomes/{outcome.id}/review", data={"rating": "9", "back": "appointment"})
        assert bad.status_code == 422 and db.session.scalar(select(Review.id)) is None
        saved = business.post(
            f"/outcomes/{outcome.id}/review", data={"rating": "4", "comment": "Clear", "back": "appointment"}
        )
        assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/appointments/{call.id}")
        _status, html = page(business, call.id)
    assert 'data-testid="review"' in html and "Rated 4/5" in html and 'data-testid="review-form"' not in html


def test_no_review_form_after_a_no_show(app: Flask, deal: Any, call: Any) -> None:
    with frozen_at(AFTER_CALL):
        service.record_outcome(db.session, deal.closer, call.id, OutcomeData(result="no_show"), now=clock.utcnow())
        _status, html = page(_logged_in(app, deal.owner), call.id)
    assert 'data-testid="outcome-summary"' in html and 'data-testid="review-form"' not in html


def test_another_business_cannot_see_the_outcome_panel(app: Flask, deal: Any, call: Any, make_user: Any) -> None:
    with frozen_at(AFTER_CALL):
        service.record_outcome(db.session, deal.closer, call.id, WON, now=clock.utcnow())
        status, _html = page(_logged_in(app, make_user("business")), call.id)
    assert status == 404


def test_a_follow_up_outcome_books_the_next_call_at_its_next_step_in_one_click(
    app: Flask, setting: dict[str, Any]
) -> None:
    first = book(setting["offer"])
    next_step = TUESDAY_9 + timedelta(days=7)  # next Tuesday 09:00 Paris: one of the closer's slots
    after = TUESDAY_9 + timedelta(minutes=70)
    closer = _logged_in(app, setting["closer"])
    with frozen_at(after):
        service.record_outcome(
            db.session,
            setting["closer"],
            first.id,
            OutcomeData(result="follow_up", next_step="Demo with the partner", next_step_at=next_step),
            now=clock.utcnow(),
        )
        _status, html = page(closer, first.id)
        assert 'data-testid="book-next-step"' in html
        assert 'value="2026-06-09T07:00:00Z"' in html
        prefilled = closer.get(f"/appointments/{first.id}/follow-up?start=2026-06-09T07:00:00Z")
        assert prefilled.status_code == 200
        assert 'value="2026-06-09T07:00:00Z" checked' in prefilled.get_data(as_text=True)
        response = closer.post(
            f"/appointments/{first.id}/follow-up", data={"start": "2026-06-09T07:00:00Z", "channel": "video"}
        )
    assert response.status_code == 302
    db.session.expire_all()
    follow_up = db.session.scalar(select(Appointment).where(Appointment.follow_up_of_id == first.id))
    assert follow_up is not None and follow_up.starts_at == next_step
    assert follow_up.status == AppointmentStatus.BOOKED and follow_up.lead_id == first.lead_id
    assert response.headers["Location"].endswith(f"/appointments/{follow_up.id}")


def test_a_next_step_time_that_is_not_free_shows_the_follow_up_page_with_the_error(
    app: Flask, setting: dict[str, Any]
) -> None:
    first = book(setting["offer"])
    with frozen_at(TUESDAY_9 + timedelta(minutes=70)):
        service.record_outcome(
            db.session,
            setting["closer"],
            first.id,
            OutcomeData(result="follow_up", next_step="Call back", next_step_at=TUESDAY_9 + timedelta(days=5)),
            now=clock.utcnow(),
        )  # a Sunday: outside the closer's hours
        response = _logged_in(app, setting["closer"]).post(
            f"/appointments/{first.id}/follow-up", data={"start": "2026-06-07T07:00:00Z", "channel": "video"}
        )
    assert response.status_code == 422
    assert db.session.scalar(select(Appointment).where(Appointment.follow_up_of_id == first.id)) is None
