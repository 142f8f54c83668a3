"""API v1 outcomes and money: record, confirm, dispute, resolve; balances; the ledger with its cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.outcomes.models import Outcome
from closerhub.payments.ledger.models import LedgerEntry
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal
from tests.integration.test_api_accounts import bearer, error_fields

WON = {"result": "won", "deal_value": {"amount": 480000, "currency": "EUR"}, "objections": ["price"]}


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def call(deal):
    return make_call(deal)


def outcomes_count() -> int:
    return db.session.scalar(select(func.count(Outcome.id)))


def post_outcome(client, deal, call, body=WON, at=AFTER_CALL):
    headers = bearer(deal.closer)
    with frozen_at(at):
        return client.post(f"/api/v1/appointments/{call.id}/outcome", json=body, headers=headers)


def test_a_closer_records_a_won_deal_and_gets_the_commission(client, deal, call) -> None:
    response = post_outcome(client, deal, call)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["result"] == "won" and data["status"] == "recorded"
    assert data["commission"] == {
        "amount": 72000,
        "currency": "EUR",
        "rate_bps": 1500,
        "platform_fee": 7200,
        "basis": "contract_value",
        "status": "pending",
    }
    assert data["confirm_deadline"] == "2026-12-08T14:50:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"result": "won", "deal_value": {"amount": 0, "currency": "EUR"}}, "deal_value"),
        ({"result": "won", "deal_value": {"amount": -5, "currency": "EUR"}}, "deal_value"),
        ({"result": "won", "deal_value": {"amount": 5000, "currency": "USD"}}, "currency_reason"),
        ({"result": "won", "deal_value": {"amount": 12.5, "currency": "EUR"}}, "deal_value.amount"),
        ({"result": "maybe"}, "result"),
        ({"result": "lost"}, "lost_reason"),
        # wrong JSON types stop at the schema (the service's command is typed)
        ({"result": 5}, "result"),
        ({"result": "no_show", "objections": "price"}, "objections"),
        ({"result": "follow_up", "next_step": 5}, "next_step"),
        ({"result": "won", "deal_value": {"amount": 5000, "currency": "EUR"}, "payment_plan": []}, "payment_plan"),
    ],
)
def test_bad_outcomes_are_422_problems_and_change_nothing(client, deal, call, body, field) -> None:
    response = post_outcome(client, deal, call, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in error_fields(response)
    assert outcomes_count() == 0


def test_an_outcome_before_the_call_or_a_second_one_is_409(client, deal, call) -> None:
    early = post_outcome(client, deal, call, at=CALL_AT - timedelta(hours=1))
    assert early.status_code == 409 and early.get_json()["code"] == "call_not_started"
    assert post_outcome(client, deal, call).status_code == 201
    again = post_outcome(client, deal, call)
    assert again.status_code == 409 and again.get_json()["code"] == "outcome_exists"
    assert outcomes_count() == 1


def test_the_business_confirms_and_the_closer_cannot_confirm(client, deal, call, make_user) -> None:
    outcome_id = post_outcome(client, deal, call).get_json()["id"]
    own = client.post(f"/api/v1/outcomes/{outcome_id}/confirm", headers=bearer(deal.closer))
    assert own.status_code == 403
    stranger = client.post(f"/api/v1/outcomes/{outcome_id}/confirm", headers=bearer(make_user("business")))
    assert stranger.status_code == 404
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        response = client.post(f"/api/v1/outcomes/{outcome_id}/confirm", headers=bearer(deal.owner))
    assert response.status_code == 200 and response.get_json()["status"] == "confirmed"
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        twice = client.post(f"/api/v1/outcomes/{outcome_id}/confirm", headers=bearer(deal.owner))
    assert twice.status_code == 409


def test_a_dispute_resolved_lower_by_an_admin_shows_in_the_ledger_and_balance(client, deal, call, admin_user) -> None:
    outcome_id = post_outcome(client, deal, call).get_json()["id"]
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        missing_reason = client.post(f"/api/v1/outcomes/{outcome_id}/dispute", json={}, headers=bearer(deal.owner))
        assert missing_reason.status_code == 422
        disputed = client.post(
            f"/api/v1/outcomes/{outcome_id}/dispute", json={"reason": "Paid 3,000 EUR"}, headers=bearer(deal.owner)
        )
    assert disputed.status_code == 200 and disputed.get_json()["status"] == "disputed"
    by_business = client.post(f"/api/v1/outcomes/{outcome_id}/resolve", json={"note": "x"}, headers=bearer(deal.owner))
    assert by_business.status_code == 403
    no_note = client.post(
        f"/api/v1/outcomes/{outcome_id}/resolve",
        json={"note": "", "deal_value": {"amount": 300000, "currency": "EUR"}},
        headers=bearer(admin_user),
    )
    assert no_note.status_code == 422 and "note" in error_fields(no_note)
    resolved = client.post(
        f"/api/v1/outcomes/{outcome_id}/resolve",
        json={"note": "Invoice says 3,000 EUR", "deal_value": {"amount": 300000, "currency": "EUR"}},
        headers=bearer(admin_user),
    )
    assert resolved.status_code == 200
    assert resolved.get_json()["status"] == "resolved" and resolved.get_json()["commission"]["amount"] == 45000
    balance = client.get("/api/v1/closers/me/balance", headers=bearer(deal.closer)).get_json()
    assert balance == {"balances": [{"currency": "EUR", "pending": 45000, "available": 0, "paid": 0}]}
    entries = client.get("/api/v1/ledger", headers=bearer(deal.closer)).get_json()
    assert [(e["kind"], e["amount"]) for e in entries["data"]] == [
        ("earned", 72000),
        ("reversal", -72000),
        ("adjustment", 45000),
    ]
    # the memo as a code and ids beside its English sentence, for clients that word it themselves
    assert [(e["memo_code"], e["memo_params"]) for e in entries["data"]] == [
        ("commission", {"outcome_id": outcome_id, "appointment_id": call.id}),
        ("adjusted", {"outcome_id": outcome_id}),
        ("commission", {"outcome_id": outcome_id, "appointment_id": call.id}),
    ]
    assert entries["data"][0]["memo"] == f"Commission on outcome #{outcome_id} (appointment #{call.id})"


def test_the_ledger_pages_with_a_cursor_and_closers_only_see_their_own(client, deal, admin_user, make_user) -> None:
    for day in range(3):
        post_outcome(client, deal, make_call(deal, CALL_AT + timedelta(days=day)), at=CALL_AT + timedelta(days=3))
    other = make_deal(make_user, owner=deal.owner)
    post_outcome(client, other, make_call(other), at=AFTER_CALL)
    first = client.get("/api/v1/ledger?limit=2", headers=bearer(deal.closer)).get_json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/v1/ledger?limit=2&cursor={first['next_cursor']}", headers=bearer(deal.closer))
    assert [e["closer_id"] for e in second.get_json()["data"]] == [deal.closer.id]
    assert second.get_json()["next_cursor"] is None
    peek = client.get(f"/api/v1/ledger?closer_id={other.closer.id}", headers=bearer(deal.closer))
    assert peek.status_code == 403
    admin_view = client.get(f"/api/v1/ledger?closer_id={other.closer.id}", headers=bearer(admin_user)).get_json()
    assert [e["closer_id"] for e in admin_view["data"]] == [other.closer.id]
    assert client.get("/api/v1/ledger", headers=bearer(deal.owner)).status_code == 403
    assert client.get("/api/v1/ledger?cursor=forged", headers=bearer(deal.closer)).status_code == 422
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 4
