"""The closer's payout setup: Stripe Connect onboarding against the fake Connect server, and manual mode."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.payments.connect.service import can_receive_payouts, requirement_words
from closerhub.payments.stripe.models import ConnectAccount
from tests.fakes.servers import stripe_settings
from tests.fakes.stripe_connect import FakeStripeConnect


@pytest.fixture
def stripe_mode(app: Flask, connect_fake: FakeStripeConnect) -> FakeStripeConnect:
    app.config.update(stripe_settings(connect_fake.url))
    return connect_fake


def the_row(db: Any, closer: Any) -> ConnectAccount | None:
    db.session.expire_all()
    return db.session.scalar(select(ConnectAccount).where(ConnectAccount.closer_id == closer.id))


def test_in_manual_mode_the_page_says_payouts_are_made_by_hand(
    closer_client: FlaskClient, db: Any, closer: Any
) -> None:
    page = closer_client.get("/payouts/setup")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Payouts are made manually" in text and "bank details" in text
    assert "Set up payouts with Stripe" not in text
    response = closer_client.post("/payouts/setup/start", follow_redirects=True)
    assert "Payouts are made manually on this platform" in response.get_data(as_text=True)
    assert the_row(db, closer) is None
    assert not can_receive_payouts(db.session, closer.id)


def test_starting_onboarding_creates_one_express_account_and_sends_the_closer_to_stripe(
    closer_client: FlaskClient, db: Any, closer: Any, stripe_mode: FakeStripeConnect
) -> None:
    page = closer_client.get("/payouts/setup").get_data(as_text=True)
    assert "Set up payouts with Stripe" in page and "Not started" in page
    response = closer_client.post("/payouts/setup/start")
    assert response.status_code == 302
    row = the_row(db, closer)
    assert row is not None and row.stripe_account_id is not None
    assert response.headers["Location"].startswith(stripe_mode.url + "/setup/s/" + row.stripe_account_id)
    account = stripe_mode.account(row.stripe_account_id)
    assert account["email"] == closer.email and account["metadata"] == {"closerhub_closer_id": str(closer.id)}
    link_request = [r for r in stripe_mode.state.requests if r.path == "/v1/account_links"][-1]
    assert link_request.params["return_url"] == "http://localhost/payouts/setup/return"
    assert link_request.params["refresh_url"] == "http://localhost/payouts/setup/refresh"

    # Coming back to the page: still blocked, with what Stripe needs in plain words.
    page = closer_client.get("/payouts/setup").get_data(as_text=True)
    assert "Payouts blocked" in page and "Continue on Stripe" in page
    assert "A bank account to receive your payouts" in page
    assert "Accept Stripe&#39;s services agreement" in page
    assert "Stripe needs more information before it can pay you." in page
    assert re.search(r"Status as of \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2}<", page)  # the reader's time, no seconds

    # A second click reuses the account: one Stripe account per closer.
    assert closer_client.post("/payouts/setup/start").status_code == 302
    assert len(stripe_mode.state.accounts) == 1
    assert not can_receive_payouts(db.session, closer.id)


def test_a_crash_after_stripe_created_the_account_is_repaired_by_the_idempotency_key(
    closer_client: FlaskClient, db: Any, closer: Any, stripe_mode: FakeStripeConnect
) -> None:
    closer_client.post("/payouts/setup/start")
    row = the_row(db, closer)
    assert row is not None
    first_account = row.stripe_account_id
    row.stripe_account_id = None  # our commit was lost: we never learned the id
    db.session.commit()
    assert closer_client.post("/payouts/setup/start").status_code == 302
    assert the_row(db, closer).stripe_account_id == first_account  # type: ignore[union-attr]
    assert len(stripe_mode.state.accounts) == 1


def test_returning_from_stripe_reads_the_account_and_unblocks_payouts(
    closer_client: FlaskClient, db: Any, closer: Any, stripe_mode: FakeStripeConnect
) -> None:
    closer_client.post("/payouts/setup/start")
    row = the_row(db, closer)
    assert row is not None and row.stripe_account_id
    stripe_mode.complete_onboarding(row.stripe_account_id)
    response = closer_client.get("/payouts/setup/return", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Your payout account is ready" in text and "Payouts enabled" in text
    assert "Continue on Stripe" not in text
    assert can_receive_payouts(db.session, closer.id)

    # Stripe later disables payouts (a review): the next return shows it and blocks payouts again.
    stripe_mode.set_account(
        row.stripe_account_id, payouts_enabled=False, currently_due=["individual.verification.document"]
    )
    text = closer_client.get("/payouts/setup/return", follow_redirects=True).get_data(as_text=True)
    assert "Stripe still needs some information" in text and "A photo of an identity document" in text
    assert not can_receive_payouts(db.session, closer.id)


def test_an_expired_link_sends_the_closer_to_a_fresh_one(
    closer_client: FlaskClient, db: Any, closer: Any, stripe_mode: FakeStripeConnect
) -> None:
    first = closer_client.post("/payouts/setup/start").headers["Location"]
    again = closer_client.get("/payouts/setup/refresh")
    assert again.status_code == 302 and again.headers["Location"] != first
    assert len(stripe_mode.state.accounts) == 1


def test_when_stripe_is_down_the_closer_is_told_and_can_try_again(
    closer_client: FlaskClient, db: Any, closer: Any, stripe_mode: FakeStripeConnect
) -> None:
    stripe_mode.fail_next("/v1/accounts", status=500, count=10)
    response = closer_client.post("/payouts/setup/start", follow_redirects=True)
    assert response.status_code == 200
    assert "payment provider could not be reached" in response.get_data(as_text=True)
    row = the_row(db, closer)
    assert row is not None and row.stripe_account_id is None  # kept: its id is the retry's key
    assert stripe_mode.state.accounts == {}
    stripe_mode.state.faults.clear()
    assert closer_client.post("/payouts/setup/start").status_code == 302
    assert len(stripe_mode.state.accounts) == 1


def test_only_closers_have_a_payout_setup_page(
    business_client: FlaskClient, client: FlaskClient, db: Any, stripe_mode: FakeStripeConnect
) -> None:
    assert business_client.get("/payouts/setup").status_code == 403
    assert business_client.post("/payouts/setup/start").status_code == 403
    assert client.get("/payouts/setup").status_code == 302  # anonymous: to the login page
    assert db.session.scalar(select(func.count()).select_from(ConnectAccount)) == 0
    assert stripe_mode.state.accounts == {}


def test_requirement_codes_read_as_plain_words_each_once() -> None:
    words = requirement_words(
        ["individual.first_name", "individual.last_name", "external_account", "individual.dob.day", "weird.new_code"]
    )
    assert words == [
        "Your legal name",
        "A bank account to receive your payouts",
        "Your date of birth",
        "Weird – new code",
    ]
