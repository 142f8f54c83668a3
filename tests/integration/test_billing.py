"""A business's payment method: SetupIntent + Stripe.js page against localstripe, and manual mode."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.payments.stripe.gateway import Gateway, GatewaySettings
from closerhub.payments.stripe.models import BusinessBilling
from closerhub.security import CSP
from tests.conftest import _logged_in
from tests.fakes.servers import TEST_SECRET_KEY, stripe_settings
from tests.integration.test_team import add_member


@pytest.fixture
def stripe_mode(app: Flask, localstripe: str) -> Gateway:
    """Stripe mode against localstripe; returns a gateway for the test to act as Stripe.js would."""
    app.config.update(stripe_settings(localstripe, STRIPE_PI_TRANSFER_GROUP=False))
    return Gateway(GatewaySettings(secret_key=TEST_SECRET_KEY, api_base=localstripe))


def card(gw: Gateway, number: str = "4242424242424242", exp_month: int = 8, exp_year: int = 2031) -> str:
    """What Stripe.js does in the browser: the card goes to Stripe, we get a payment method id."""
    pm = gw.client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}}
    )
    return pm.id


def billing_row(db: Any, business_user: Any) -> BusinessBilling | None:
    db.session.expire_all()
    return db.session.scalar(select(BusinessBilling).where(BusinessBilling.business_id == business_user.business_id))


def test_in_manual_mode_the_business_is_told_it_is_invoiced_by_hand(
    business_client: FlaskClient, db: Any, business_user: Any
) -> None:
    page = business_client.get("/billing")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The platform invoices you manually" in text and "bank transfer" in text
    assert "js.stripe.com" not in text and "js.stripe.com" not in page.headers["Content-Security-Policy"]
    response = business_client.post("/billing/payment-method", data={"payment_method": "pm_123"}, follow_redirects=True)
    assert "Cards are not taken online" in response.get_data(as_text=True)
    assert billing_row(db, business_user) is None


def test_the_card_page_loads_stripe_js_with_a_setup_intent_and_a_csp_for_this_page_only(
    business_client: FlaskClient, db: Any, business_user: Any, stripe_mode: Gateway
) -> None:
    page = business_client.get("/billing")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<script src="https://js.stripe.com/v3/"></script>' in text
    assert 'data-publishable-key="pk_test_closerhub_fake"' in text and "_secret_" in text
    assert "No card yet" in text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in csp
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in csp
    assert "connect-src 'self' https://api.stripe.com" in csp
    assert "frame-ancestors 'none'" in csp
    assert business_client.get("/").headers["Content-Security-Policy"] == CSP  # other pages keep the strict policy

    row = billing_row(db, business_user)
    assert row is not None and row.stripe_customer_id and row.stripe_customer_id.startswith("cus_")
    business_client.get("/billing")
    assert billing_row(db, business_user).stripe_customer_id == row.stripe_customer_id  # type: ignore[union-attr]
    assert db.session.scalar(select(func.count()).select_from(BusinessBilling)) == 1


def test_a_confirmed_card_is_saved_shown_and_can_be_replaced(
    business_client: FlaskClient, db: Any, business_user: Any, stripe_mode: Gateway
) -> None:
    business_client.get("/billing")
    first = card(stripe_mode)
    response = business_client.post("/billing/payment-method", data={"payment_method": first})
    assert response.status_code == 302
    row = billing_row(db, business_user)
    assert row is not None
    assert (row.default_payment_method_id, row.card_brand, row.card_last4) == (first, "visa", "4242")
    assert (row.card_exp_month, row.card_exp_year) == (8, 2031)
    text = business_client.get("/billing").get_data(as_text=True)
    assert "Visa</strong> ending in <strong>4242</strong>" in text and "08/2031" in text
    assert "Replace the card" in text
    default = stripe_mode.retrieve_default_payment_method(row.stripe_customer_id or "")
    assert default is not None and default.id == first

    second = card(stripe_mode, "4000056655665556", exp_month=1, exp_year=2032)
    assert business_client.post("/billing/payment-method", data={"payment_method": second}).status_code == 302
    row = billing_row(db, business_user)
    assert (row.card_last4, row.card_exp_month, row.card_exp_year) == ("5556", 1, 2032)  # type: ignore[union-attr]
    default = stripe_mode.retrieve_default_payment_method(row.stripe_customer_id or "")  # type: ignore[union-attr]
    assert default is not None and default.id == second


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "could not be read"),
        ("not-a-card<script>", "could not be read"),
        ("pm_doesnotexist", "was not found"),
    ],
)
def test_a_bad_card_reference_shows_the_page_again_and_keeps_the_saved_card(
    business_client: FlaskClient, db: Any, business_user: Any, stripe_mode: Gateway, value: str, message: str
) -> None:
    business_client.get("/billing")
    saved = card(stripe_mode)
    business_client.post("/billing/payment-method", data={"payment_method": saved})
    response = business_client.post("/billing/payment-method", data={"payment_method": value})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and "<script>" not in text.split("<main", 1)[1].split("</main>", 1)[0]
    assert billing_row(db, business_user).default_payment_method_id == saved  # type: ignore[union-attr]


def test_a_card_of_another_customer_is_refused(
    business_client: FlaskClient, db: Any, business_user: Any, stripe_mode: Gateway
) -> None:
    other_customer = stripe_mode.create_customer(email="x@example.com", name="Other", idempotency_key="other-1")
    foreign = card(stripe_mode)
    stripe_mode.attach_payment_method(foreign, other_customer)
    response = business_client.post("/billing/payment-method", data={"payment_method": foreign})
    assert response.status_code == 422
    assert "belongs to someone else" in response.get_data(as_text=True)
    assert not billing_row(db, business_user).has_card  # type: ignore[union-attr]


def test_only_the_owner_manages_the_card(
    app: Flask, db: Any, business_user: Any, closer_client: FlaskClient, stripe_mode: Gateway
) -> None:
    member = add_member(business_user, "mia@acme.example", "Mia Member")
    member_client = _logged_in(app, member)
    assert member_client.get("/billing").status_code == 403
    assert member_client.post("/billing/payment-method", data={"payment_method": card(stripe_mode)}).status_code == 403
    assert closer_client.get("/billing").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(BusinessBilling)) == 0
