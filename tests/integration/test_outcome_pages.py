"""Outcome pages: the closer's form, the business's confirmations, earnings, admin disputes; bad input shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger import service as ledger
from tests.conftest import _logged_in
from tests.integration.outcome_support import AFTER_CALL, make_call, make_deal

WON_FORM = {"result": "won", "deal_value": "4,800.00", "currency": "EUR", "technique": "summary"}


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def call(deal):
    return make_call(deal)


def recorded(deal, call) -> Outcome:
    with frozen_at(AFTER_CALL):
        return service.record_outcome(
            db.session, deal.closer, call.id, OutcomeData("won", Money(480000, "EUR")), now=clock.utcnow()
        )


def test_the_closer_records_a_won_deal_through_the_form(app, deal, call) -> None:
    client = _logged_in(app, deal.closer)
    with frozen_at(AFTER_CALL):
        page = client.get(f"/appointments/{call.id}/outcome")
        assert page.status_code == 200 and "in your time zone (Paris)" in page.get_data(as_text=True)
        response = client.post(f"/appointments/{call.id}/outcome", data=WON_FORM)
    assert response.status_code == 302
    outcome = db.session.scalar(select(Outcome))
    assert outcome.deal_value == Money(480000, "EUR") and outcome.commission == Money(72000, "EUR")
    with frozen_at(AFTER_CALL):
        shown = client.get(f"/appointments/{call.id}/outcome").get_data(as_text=True)
    assert "€720.00" in shown and "Correct the outcome" in shown


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"result": "won", "deal_value": "0"}, "more than zero"),
        ({"result": "won", "deal_value": "-10"}, "more than zero"),
        ({"result": "won", "deal_value": "12,34,5"}, "amount"),
        ({"result": "won", "deal_value": "100", "currency": "USD"}, "say why this deal is in USD"),
        ({"result": "lost"}, "Choose one"),
    ],
)
def test_bad_input_shows_the_form_again_and_records_nothing(app, deal, call, form, message) -> None:
    client = _logged_in(app, deal.closer)
    with frozen_at(AFTER_CALL):
        response = client.post(f"/appointments/{call.id}/outcome", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Outcome.id))) == 0


def test_before_the_call_the_form_says_so(app, deal, call) -> None:
    client = _logged_in(app, deal.closer)
    with frozen_at(call.starts_at - timedelta(minutes=5)):
        response = client.post(f"/appointments/{call.id}/outcome", data=WON_FORM)
    assert response.status_code == 409 and "has not started yet" in response.get_data(as_text=True)


def test_other_people_cannot_open_the_outcome_form(app, deal, call, make_user) -> None:
    assert _logged_in(app, make_user("closer")).get(f"/appointments/{call.id}/outcome").status_code == 404
    assert _logged_in(app, deal.owner).get(f"/appointments/{call.id}/outcome").status_code == 403


def test_the_business_confirms_from_its_list_and_a_stranger_gets_404(app, deal, call, make_user) -> None:
    outcome = recorded(deal, call)
    stranger = _logged_in(app, make_user("business"))
    assert stranger.post(f"/outcomes/{outcome.id}/confirm").status_code == 404
    client = _logged_in(app, deal.owner)
    listing = client.get("/outcomes/pending").get_data(as_text=True)
    assert f'data-testid="outcome-{outcome.id}"' in listing and "€4,800.00" in listing and "Times in Paris" in listing
    assert client.post(f"/outcomes/{outcome.id}/confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.CONFIRMED
    assert _logged_in(app, deal.closer).post(f"/outcomes/{outcome.id}/confirm").status_code == 403


def test_a_dispute_without_a_reason_shows_the_error(app, deal, call) -> None:
    outcome = recorded(deal, call)
    client = _logged_in(app, deal.owner)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        response = client.post(f"/outcomes/{outcome.id}/dispute", data={"reason": ""})
        assert response.status_code == 422 and "Say why you dispute" in response.get_data(as_text=True)
        assert client.post(f"/outcomes/{outcome.id}/dispute", data={"reason": "Paid less"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.DISPUTED


def test_the_earnings_page_shows_balances_and_the_ledger_in_the_closers_zone(app, deal, call) -> None:
    recorded(deal, call)
    page = _logged_in(app, deal.closer).get("/earnings").get_data(as_text=True)
    assert "€720.00" in page and 'data-testid="entry-earned"' in page and "Times shown in Paris" in page
    assert _logged_in(app, deal.owner).get("/earnings").status_code == 403


def test_the_admin_resolves_a_dispute_with_a_mandatory_note(app, deal, call, admin_user) -> None:
    outcome = recorded(deal, call)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        settlement.dispute(db.session, deal.owner, outcome.id, "Paid 3,000 EUR", now=clock.utcnow())
    client = _logged_in(app, admin_user)
    assert f'data-testid="dispute-{outcome.id}"' in client.get("/admin/disputes").get_data(as_text=True)
    no_note = client.post(f"/admin/disputes/{outcome.id}/resolve", data={"action": "adjust", "deal_value": "3,000"})
    assert no_note.status_code == 422 and "Write a note" in no_note.get_data(as_text=True)
    done = client.post(
        f"/admin/disputes/{outcome.id}/resolve",
        data={"action": "adjust", "deal_value": "3,000.00", "note": "Invoice checked"},
    )
    assert done.status_code == 302
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert balance.pending == 45000
    assert _logged_in(app, deal.owner).get("/admin/disputes").status_code == 403


def test_the_closer_dashboard_shows_the_same_balances_as_the_earnings_page(app, deal, call) -> None:
    client = _logged_in(app, deal.closer)
    assert "Your commissions will appear here" in client.get("/dashboard").get_data(as_text=True)
    recorded(deal, call)
    card = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="earnings-card"' in card and "Pending €720.00" in card
    assert "Your commissions will appear here" not in card
