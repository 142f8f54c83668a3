"""Manual mode keeps money honest: an admin records refunds and chargebacks on charges paid by bank
transfer, and the closer's commission is clawed back by the same rule as Stripe's webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.core.errors import Conflict, ValidationError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.payments.charges import refunds
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.commands import ManualReturn
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.payouts.service import run_payouts
from tests.conftest import _logged_in
from tests.integration.charges_support import CONFIRMED_AT, confirm, won_outcome
from tests.integration.outcome_support import make_deal
from tests.integration.payouts_support import balance, give_available, give_payout_details, payouts
from tests.integration.test_api_accounts import bearer

PAID_AT = CONFIRMED_AT + timedelta(days=3)
RELEASED_AT = PAID_AT + timedelta(days=15)  # past the 14-day clawback hold
PAYOUT_AT = RELEASED_AT + timedelta(days=1)
CHARGEBACK_AT = PAYOUT_AT + timedelta(days=2)


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def paid(deal, admin_user) -> Charge:
    """A 4,800.00 EUR deal (commission 720.00 + fee 72.00 = 792.00) paid by bank transfer."""
    charge = confirm(deal, won_outcome(deal))
    charges.mark_manual_paid(db.session, admin_user, charge.id, "SEPA in", PAID_AT)
    return fresh(charge.id)


def fresh(charge_id: int) -> Charge:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Charge, charge_id)


def returns(charge: Charge, admin: Any, amount: int, *, kind: str = "refund", at=PAID_AT + timedelta(days=1)) -> Charge:
    with frozen_at(at):
        refunds.record_manual_return(
            db.session,
            admin,
            charge.id,
            ManualReturn(
                kind=kind,
                amount=Money(amount, "EUR"),
                reason="customer asked",
                expected_returned=charge.refunded_amount,
            ),
            now=at,
        )
    return fresh(charge.id)


def test_a_partial_then_a_full_refund_before_payout_reduce_pending_by_exactly_the_commission_share(
    deal, paid, admin_user
) -> None:
    assert balance(deal.closer) == (72000, 0, 0)
    # 100.00 of 792.00 refunded: 720.00 × 100/792 = 90.909… → 90.91 half-up, taken from pending.
    after_partial = returns(paid, admin_user, 10000)
    assert after_partial.status == ChargeStatus.PARTIALLY_REFUNDED
    assert (after_partial.refunded_amount, after_partial.clawed_back) == (10000, 9091)
    assert balance(deal.closer) == (72000 - 9091, 0, 0)
    # The rest: the running total rounds once, so the parts sum to the whole commission.
    after_full = returns(after_partial, admin_user, 69200)
    assert after_full.status == ChargeStatus.REFUNDED
    assert (after_full.refunded_amount, after_full.clawed_back) == (79200, 72000)
    assert balance(deal.closer) == (0, 0, 0)
    # Nothing left to release after the hold.
    assert ledger.release_available(db.session, RELEASED_AT) == 1
    assert balance(deal.closer) == (0, 0, 0)
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "charge.manual_refund").order_by(AuditEntry.id)
    ).all()
    assert [(a.actor_id, a.after["amount"], a.after["commission_clawed_back"]) for a in audit] == [
        (admin_user.id, 10000, 9091),
        (admin_user.id, 69200, 62909),
    ]


def test_a_refund_above_what_remains_is_refused_with_a_clear_message_and_changes_nothing(
    deal, paid, admin_user
) -> None:
    partial = returns(paid, admin_user, 10000)
    with pytest.raises(ValidationError) as refused:
        returns(partial, admin_user, 69201)
    assert refused.value.field_errors["amount"] == (
        "At most €692.00 can still be returned on this charge (€100.00 of €792.00 already returned)."
    )
    charge = fresh(paid.id)
    assert (charge.refunded_amount, charge.clawed_back) == (10000, 9091)
    assert balance(deal.closer) == (72000 - 9091, 0, 0)
    full = returns(charge, admin_user, 69200)
    with pytest.raises(Conflict):  # fully refunded: repeated refunds cannot exceed the charge
        returns(full, admin_user, 1)
    assert fresh(paid.id).refunded_amount == 79200


def test_a_chargeback_after_payout_leaves_a_negative_balance_that_the_next_payout_nets_off(
    app, deal, paid, admin_user, admin_client: FlaskClient
) -> None:
    give_payout_details(deal.closer)
    assert ledger.release_available(db.session, RELEASED_AT) == 1
    run_payouts(db.session, PAYOUT_AT, triggered_by="cli")
    assert balance(deal.closer) == (0, 0, 72000)
    charged_back = returns(paid, admin_user, 79200, kind="chargeback", at=CHARGEBACK_AT)
    assert charged_back.status == ChargeStatus.DISPUTED
    assert (charged_back.clawed_back, charged_back.dispute_clawback) == (72000, 72000)
    assert balance(deal.closer) == (0, -72000, 72000)  # carried: the closer owes 720.00

    # Visible to the closer and to the admin.
    closer_page = _logged_in(app, deal.closer).get("/earnings").get_data(as_text=True)
    assert 'data-testid="owing-EUR"' in closer_page and "You owe €720.00" in closer_page
    admin_page = admin_client.get("/admin/payouts").get_data(as_text=True)
    assert f'data-testid="owing-{deal.closer.id}-EUR"' in admin_page and "-€720.00" in admin_page

    # The next deal's 1,000.00 released: the next payout pays 1,000.00 − 720.00.
    give_available(deal.closer, 100000)
    run_payouts(db.session, PAYOUT_AT + timedelta(days=7), triggered_by="cli")
    assert [p.amount for p in payouts(deal.closer)] == [72000, 28000]
    assert balance(deal.closer) == (0, 0, 100000)


def test_the_admin_records_a_refund_on_the_money_desk_and_a_double_submit_records_it_once(
    deal, paid, admin_user, admin_client: FlaskClient
) -> None:
    desk = admin_client.get("/admin/money").get_data(as_text=True)
    assert f'data-testid="returnable-{paid.id}"' in desk
    form = admin_client.get(f"/admin/money/charges/{paid.id}/return")
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and "At most €792.00 can still be returned" in text
    assert 'name="expected" type="hidden" value="0"' in text
    body = {"kind": "refund", "amount": "100.00", "reason": "goodwill", "expected": "0"}
    with frozen_at(PAID_AT + timedelta(days=1)):
        first = admin_client.post(f"/admin/money/charges/{paid.id}/return", data=body)
        second = admin_client.post(f"/admin/money/charges/{paid.id}/return", data=body)
    assert first.status_code == 302
    assert second.status_code == 409 and "nothing was recorded" in second.get_data(as_text=True)
    charge = fresh(paid.id)
    assert (charge.refunded_amount, charge.clawed_back) == (10000, 9091)
    count = select(func.count(AuditEntry.id)).where(AuditEntry.action == "charge.manual_refund")
    assert db.session.scalar(count) == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "refund", "amount": "800.00"}, "amount", "At most €792.00 can still be returned"),
        ({"kind": "refund", "amount": "abc"}, "amount", "Enter an amount in EUR"),
        ({"kind": "refund", "amount": "0"}, "amount", "Enter an amount above zero."),
        ({"kind": "gift", "amount": "10.00"}, "kind", "Choose one."),
    ],
)
def test_bad_input_on_the_refund_form_is_shown_beside_its_field_and_changes_nothing(
    deal, paid, admin_client: FlaskClient, body, field, message
) -> None:
    response = admin_client.post(f"/admin/money/charges/{paid.id}/return", data={**body, "expected": "0"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and message in text
    assert f'id="{field}-err"' in text
    charge = fresh(paid.id)
    assert (charge.status, charge.refunded_amount, charge.clawed_back) == (ChargeStatus.MANUAL_PAID, 0, 0)
    assert balance(deal.closer) == (72000, 0, 0)


def test_a_charge_still_due_or_a_non_admin_cannot_get_a_refund_recorded(
    deal, admin_user, admin_client: FlaskClient, closer_client: FlaskClient, business_client: FlaskClient
) -> None:
    due = confirm(deal, won_outcome(deal))
    response = admin_client.post(
        f"/admin/money/charges/{due.id}/return", data={"kind": "refund", "amount": "10.00", "expected": "0"}
    )
    assert response.status_code == 409 and "paid by bank transfer" in response.get_data(as_text=True)
    for client in (closer_client, business_client):
        assert client.get(f"/admin/money/charges/{due.id}/return").status_code == 403
    assert fresh(due.id).refunded_amount == 0


def test_the_api_records_a_manual_refund_once_per_idempotency_key_and_refuses_more_than_remains(
    client: FlaskClient, deal, paid, admin_user, business_user
) -> None:
    url = f"/api/v1/charges/{paid.id}/manual-returns"
    headers = {**bearer(admin_user), "Idempotency-Key": "refund-1"}
    body = {"kind": "refund", "amount": {"amount": 10000, "currency": "EUR"}, "reason": "goodwill"}
    with frozen_at(PAID_AT + timedelta(days=1)):
        first = client.post(url, headers=headers, json=body)
        again = client.post(url, headers=headers, json=body)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert first.get_json()["refunded"] == {"amount": 10000, "currency": "EUR"}
    assert first.get_json()["status"] == "partially_refunded"
    assert (fresh(paid.id).clawed_back, balance(deal.closer)) == (9091, (72000 - 9091, 0, 0))
    too_much = client.post(
        url, headers=bearer(admin_user), json={**body, "amount": {"amount": 69201, "currency": "EUR"}}
    )
    assert too_much.status_code == 422 and too_much.mimetype == "application/problem+json"
    assert too_much.get_json()["errors"][0]["field"] == "amount"
    stale = client.post(url, headers=bearer(admin_user), json={**body, "expected_refunded": 0})
    assert stale.status_code == 409
    assert client.post(url, headers=bearer(business_user), json=body).status_code == 403
    assert fresh(paid.id).refunded_amount == 10000
    count = select(func.count(AuditEntry.id)).where(AuditEntry.action == "charge.manual_refund")
    assert db.session.scalar(count) == 1


def test_a_partial_chargeback_after_a_partial_refund_takes_the_running_share_and_marks_the_charge_disputed(
    deal, paid, admin_user
) -> None:
    refunded = returns(paid, admin_user, 10000)  # 90.91 of the commission
    disputed = returns(refunded, admin_user, 29600, kind="chargeback")  # total 396.00 = half the charge
    assert disputed.status == ChargeStatus.DISPUTED
    assert disputed.refunded_amount == 39600
    assert (disputed.clawed_back, disputed.dispute_clawback) == (36000, 36000 - 9091)  # half of 720.00 in all
    assert balance(deal.closer) == (36000, 0, 0)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "charge.manual_chargeback")).all()
    assert entry.after["commission_clawed_back"] == 26909 and entry.before["refunded_amount"] == 10000
