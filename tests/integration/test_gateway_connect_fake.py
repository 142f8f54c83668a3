"""The gateway's Connect calls, through the real SDK, against the fake Connect server over HTTP."""

from __future__ import annotations

import pytest
import stripe

from closerhub.payments.stripe.gateway import Gateway, GatewaySettings
from closerhub.payments.stripe.results import (
    GatewayNotConfigured,
    GatewayRejected,
    GatewayUnavailable,
    IdempotencyConflict,
)
from tests.fakes.servers import TEST_SECRET_KEY
from tests.fakes.stripe_connect import FakeStripeConnect


def gateway_for(fake: FakeStripeConnect, **kw: object) -> Gateway:
    settings = {"secret_key": TEST_SECRET_KEY, "api_base": fake.url, "max_network_retries": 2, "timeout_seconds": 5.0}
    settings.update(kw)
    return Gateway(GatewaySettings(**settings))  # type: ignore[arg-type]


def onboarded_account(gw: Gateway, fake: FakeStripeConnect, key: str = "acct-1") -> str:
    account = gw.create_express_account(email="c@example.com", country="FR", idempotency_key=key)
    fake.complete_onboarding(account.id)
    return account.id


def test_a_new_express_account_can_receive_nothing_until_onboarded(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    account = gw.create_express_account(email="c@example.com", country="FR", idempotency_key="connect-1")
    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
    assert "external_account" in account.requirements_due
    stored = connect_fake.account(account.id)
    assert stored["type"] == "express" and stored["capabilities"] == {"transfers": "inactive"}

    connect_fake.complete_onboarding(account.id)
    state = gw.retrieve_account(account.id)
    assert state.payouts_enabled and state.charges_enabled and state.requirements_due == []


def test_the_same_idempotency_key_returns_the_same_account(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    first = gw.create_express_account(email="c@example.com", country="FR", idempotency_key="connect-7")
    again = gw.create_express_account(email="c@example.com", country="FR", idempotency_key="connect-7")
    assert again.id == first.id
    assert len(connect_fake.created("POST", "/v1/accounts")) == 1


def test_the_same_key_with_other_parameters_is_an_idempotency_conflict(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    gw.create_express_account(email="c@example.com", country="FR", idempotency_key="connect-8")
    with pytest.raises(IdempotencyConflict):
        gw.create_express_account(email="other@example.com", country="FR", idempotency_key="connect-8")
    assert len(connect_fake.state.accounts) == 1


def test_an_account_link_points_at_onboarding_and_expires(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    account = gw.create_express_account(email="c@example.com", country=None, idempotency_key="k")
    link = gw.create_account_link(account.id, refresh_url="http://x.test/r", return_url="http://x.test/ok")
    assert link.url.startswith(connect_fake.url) and account.id in link.url
    assert link.expires_at.tzinfo is not None
    with pytest.raises(GatewayRejected):
        gw.create_account_link("acct_missing", refresh_url="http://x.test/r", return_url="http://x.test/ok")


def test_the_fake_refuses_parameters_the_sdk_does_not_define(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: colour"):
        gw.client.v1.accounts.create({"type": "express", "colour": "blue"})  # type: ignore[typeddict-unknown-key]


def test_a_transfer_to_an_account_without_payouts_is_refused(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    account = gw.create_express_account(email="c@example.com", country="FR", idempotency_key="k")
    with pytest.raises(GatewayRejected) as info:
        gw.create_transfer(amount=5000, currency="EUR", destination=account.id, idempotency_key="payout-1")
    assert info.value.stripe_code == "insufficient_capabilities_for_transfer"
    assert connect_fake.transfers_to(account.id) == []


def test_a_transfer_is_made_once_per_idempotency_key_and_found_by_group(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    acct = onboarded_account(gw, connect_fake)
    args = {"amount": 7350, "currency": "EUR", "destination": acct, "transfer_group": "payout-run-3"}
    first = gw.create_transfer(**args, idempotency_key="payout-12", metadata={"payout_id": 12})
    again = gw.create_transfer(**args, idempotency_key="payout-12", metadata={"payout_id": 12})
    assert again.id == first.id
    assert (first.amount, first.currency, first.destination, first.metadata) == (7350, "eur", acct, {"payout_id": "12"})
    assert [t.id for t in gw.list_transfers(transfer_group="payout-run-3")] == [first.id]
    assert len(connect_fake.transfers_to(acct)) == 1


def test_transfer_reversals_take_money_back_up_to_the_amount_paid(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    acct = onboarded_account(gw, connect_fake)
    transfer = gw.create_transfer(amount=10000, currency="eur", destination=acct, idempotency_key="payout-1")
    part = gw.create_transfer_reversal(transfer.id, amount=2500, idempotency_key="clawback-1")
    assert (part.amount, part.transfer) == (2500, transfer.id)
    replay = gw.create_transfer_reversal(transfer.id, amount=2500, idempotency_key="clawback-1")
    assert replay.id == part.id
    with pytest.raises(GatewayRejected):
        gw.create_transfer_reversal(transfer.id, amount=9000, idempotency_key="clawback-2")
    rest = gw.create_transfer_reversal(transfer.id, idempotency_key="clawback-3")
    assert rest.amount == 7500
    after = gw.retrieve_transfer(transfer.id)
    assert (after.amount_reversed, after.reversed) == (10000, True)


def test_a_server_error_is_retried_with_the_same_key_and_pays_once(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    acct = onboarded_account(gw, connect_fake)
    connect_fake.fail_next("/v1/transfers", status=500)
    transfer = gw.create_transfer(amount=5000, currency="eur", destination=acct, idempotency_key="payout-5")
    assert [t["id"] for t in connect_fake.transfers_to(acct)] == [transfer.id]
    keys = {r.idempotency_key for r in connect_fake.state.requests if r.path == "/v1/transfers"}
    assert keys == {"payout-5"}


def test_a_connection_dropped_after_processing_is_retried_and_pays_once(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    acct = onboarded_account(gw, connect_fake)
    connect_fake.drop_next("/v1/transfers")
    transfer = gw.create_transfer(amount=5000, currency="eur", destination=acct, idempotency_key="payout-6")
    assert [t["id"] for t in connect_fake.transfers_to(acct)] == [transfer.id]
    replayed = [r for r in connect_fake.state.requests if r.path == "/v1/transfers" and r.replayed]
    assert len(replayed) == 1


def test_a_timeout_is_retried_with_the_same_key_and_pays_once(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake, timeout_seconds=1.0)
    acct = onboarded_account(gw, connect_fake)
    connect_fake.delay_next("/v1/transfers", 2.0)
    transfer = gw.create_transfer(amount=5000, currency="eur", destination=acct, idempotency_key="payout-7")
    assert [t["id"] for t in connect_fake.transfers_to(acct)] == [transfer.id]


def test_rate_limiting_beyond_the_retries_is_gateway_unavailable_and_nothing_is_paid(
    connect_fake: FakeStripeConnect,
) -> None:
    gw = gateway_for(connect_fake, max_network_retries=1)
    acct = onboarded_account(gw, connect_fake)
    connect_fake.fail_next("/v1/transfers", status=429, type_="invalid_request_error", code="rate_limit", count=5)
    with pytest.raises(GatewayUnavailable) as info:
        gw.create_transfer(amount=5000, currency="eur", destination=acct, idempotency_key="payout-8")
    assert "try again" in info.value.message
    assert connect_fake.transfers_to(acct) == []


def test_an_insufficient_platform_balance_is_a_clear_refusal(connect_fake: FakeStripeConnect) -> None:
    gw = gateway_for(connect_fake)
    acct = onboarded_account(gw, connect_fake)
    connect_fake.state.balance = {"eur": 1000}
    with pytest.raises(GatewayRejected) as info:
        gw.create_transfer(amount=5000, currency="eur", destination=acct, idempotency_key="payout-9")
    assert info.value.stripe_code == "balance_insufficient"


def test_without_keys_the_gateway_is_in_manual_mode() -> None:
    gw = Gateway(GatewaySettings(secret_key=""))
    assert not gw.is_configured()
    with pytest.raises(GatewayNotConfigured):
        gw.create_transfer(amount=1, currency="eur", destination="acct_x", idempotency_key="k")
