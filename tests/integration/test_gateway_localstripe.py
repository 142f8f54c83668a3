"""The gateway's customer, card, charge and refund calls against localstripe, through the real SDK.

localstripe does not know ``transfer_group`` on PaymentIntents (nor Connect, nor
idempotent replays): those are covered by the fake in ``test_gateway_connect_fake.py``.
"""

from __future__ import annotations

import uuid

import pytest

from closerhub.payments.stripe.gateway import Gateway, GatewaySettings
from closerhub.payments.stripe.results import GatewayRejected
from tests.fakes.servers import TEST_SECRET_KEY

DECLINED_CARD = "4000000000000341"  # attaches fine, declines when charged


def gateway_for(url: str, *, pi_transfer_group: bool = False) -> Gateway:
    return Gateway(
        GatewaySettings(
            secret_key=TEST_SECRET_KEY,
            api_base=url,
            max_network_retries=1,
            timeout_seconds=5.0,
            pi_transfer_group=pi_transfer_group,
        )
    )


def new_card(gw: Gateway, number: str = "4242424242424242", exp_year: int = 2031) -> str:
    """A card payment method, as Stripe.js would create it in the browser."""
    pm = gw.client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 8, "exp_year": exp_year, "cvc": "123"}}
    )
    return pm.id


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


def customer_with_card(gw: Gateway, number: str = "4242424242424242") -> tuple[str, str]:
    customer = gw.create_customer(email="owner@acme.example", name="Acme", idempotency_key=key())
    pm = new_card(gw, number)
    gw.attach_payment_method(pm, customer)
    gw.set_default_payment_method(customer, pm)
    return customer, pm


def test_a_setup_intent_gives_the_browser_a_client_secret(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer = gw.create_customer(email="owner@acme.example", name="Acme", idempotency_key=key(), metadata={"b": 1})
    intent = gw.create_setup_intent(customer)
    assert customer.startswith("cus_")
    assert intent.id.startswith("seti_") and intent.client_secret.startswith(intent.id + "_secret_")


def test_an_attached_card_becomes_the_default_with_brand_last4_and_expiry(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer, pm = customer_with_card(gw)
    default = gw.retrieve_default_payment_method(customer)
    assert default is not None
    assert (default.id, default.customer, default.brand, default.last4) == (pm, customer, "visa", "4242")
    assert (default.exp_month, default.exp_year) == (8, 2031)
    assert [m.id for m in gw.list_payment_methods(customer)] == [pm]


def test_a_customer_without_a_default_card_has_none(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer = gw.create_customer(email="x@example.com", name=None, idempotency_key=key())
    assert gw.retrieve_default_payment_method(customer) is None


def test_an_off_session_charge_succeeds_and_carries_our_ids(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer, pm = customer_with_card(gw)
    result = gw.create_payment_intent(
        amount=12345,
        currency="EUR",
        customer=customer,
        payment_method=pm,
        idempotency_key="charge-1",
        metadata={"outcome_id": 7},
        transfer_group="outcome-7",
    )
    assert (result.status, result.amount, result.currency) == ("succeeded", 12345, "eur")
    assert result.id and result.id.startswith("pi_")
    stored = gw.client.v1.payment_intents.retrieve(result.id)
    # localstripe refuses transfer_group on PaymentIntents: the gateway moved it to metadata.
    assert stored.metadata.to_dict() == {"outcome_id": "7", "transfer_group": "outcome-7"}
    assert gw.retrieve_payment_intent(result.id).status == "succeeded"


def test_sending_transfer_group_to_localstripe_is_refused_which_is_why_it_is_configurable(localstripe: str) -> None:
    gw = gateway_for(localstripe, pi_transfer_group=True)
    customer, pm = customer_with_card(gw)
    with pytest.raises(GatewayRejected, match="transfer_group"):
        gw.create_payment_intent(
            amount=1000, currency="eur", customer=customer, payment_method=pm, idempotency_key=key(), transfer_group="g"
        )


def test_a_declined_card_is_a_failed_result_with_a_message_not_an_exception(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer, pm = customer_with_card(gw, DECLINED_CARD)
    result = gw.create_payment_intent(
        amount=5000, currency="eur", customer=customer, payment_method=pm, idempotency_key=key()
    )
    assert result.status == "failed"
    assert result.decline_code == "card_declined"
    assert result.message == "Your card was declined."


def test_a_charge_can_be_refunded(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    customer, pm = customer_with_card(gw)
    charge = gw.create_payment_intent(
        amount=4000, currency="eur", customer=customer, payment_method=pm, idempotency_key=key()
    )
    assert charge.id is not None
    refund = gw.create_refund(charge.id, idempotency_key=key())
    assert (refund.amount, refund.status, refund.payment_intent) == (4000, "succeeded", charge.id)


def test_an_unknown_card_is_a_clear_refusal(localstripe: str) -> None:
    gw = gateway_for(localstripe)
    with pytest.raises(GatewayRejected):
        gw.retrieve_payment_method("pm_doesnotexist")
