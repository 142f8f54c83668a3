"""Ledger memos are stored as a code with ids and read as a sentence naming the client and the call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger.memos import Memo, parse_legacy
from closerhub.payments.ledger.models import LedgerEntry
from tests.conftest import _logged_in
from tests.integration.outcome_support import CALL_AT, make_call, make_deal


@pytest.fixture
def recorded(make_user):
    deal = make_deal(make_user, closer=make_user("closer", email="claire@example.com", name="Claire"))
    call = make_call(deal, CALL_AT)
    data = OutcomeData(result="won", deal_value=Money(480000, "EUR"))
    with frozen_at(CALL_AT + timedelta(minutes=50)):
        outcome = service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())
    return deal, outcome


def test_a_commission_entry_keeps_its_code_and_ids(recorded) -> None:
    _deal, outcome = recorded
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.outcome_id == outcome.id)).one()
    assert entry.memo_code == "commission"
    assert entry.memo_params == {"outcome_id": outcome.id, "appointment_id": outcome.appointment_id}
    assert entry.memo == f"Commission on outcome #{outcome.id} (appointment #{outcome.appointment_id})"  # the API's


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Commission on the call with Paula Prospect on "),
        ("fr", "Commission sur l’appel avec Paula Prospect le "),
    ],
)
def test_the_earnings_page_names_the_client_and_the_call_in_the_readers_language(
    app: Flask, recorded, language: str, expected: str
) -> None:
    deal, _outcome = recorded
    deal.closer.language = language
    db.session.commit()
    page = _logged_in(app, deal.closer).get("/earnings").get_data(as_text=True)
    memo = page.split('data-testid="memo">')[1].split("<")[0]
    assert memo.startswith(expected), memo
    assert "#" not in memo and "outcome" not in memo


def test_sentences_written_before_the_codes_are_read_back() -> None:
    assert parse_legacy("Commission on outcome #13 (appointment #12)") == Memo(
        "commission", {"outcome_id": 13, "appointment_id": 12}
    )
    assert parse_legacy("Refund of charge #4 (outcome #9), recorded by hand") == Memo(
        "manual_refund", {"charge_id": 4, "outcome_id": 9}
    )
    assert parse_legacy("Payout #7 failed: returned to available") == Memo("payout_failed", {"payout_id": 7})
    assert parse_legacy("released (test)") is None
    for code in ("commission", "released", "refund", "chargeback_won", "voided", "clawback_reversed"):
        params = {"outcome_id": 3, "appointment_id": 4, "charge_id": 5, "payout_id": 6, "reversal": "trr_1"}
        memo = Memo(code, {k: v for k, v in params.items() if "{" + k + "}" in _english_of(code)})
        assert parse_legacy(memo.english) == memo


def _english_of(code: str) -> str:
    from closerhub.payments.ledger.memos import _SENTENCES

    return _SENTENCES[code][0]


def test_the_api_gives_the_code_and_ids_of_old_sentences_and_none_for_free_text() -> None:
    from closerhub.payments.ledger.schemas import LedgerEntryOut

    base = {"id": 1, "closer_id": 2, "currency": "EUR", "bucket": "pending", "amount": 100, "kind": "adjustment"}
    old = LedgerEntry(**base, memo="Refund of charge #4 (outcome #9)", memo_code=None, memo_params=None)
    old.created_at = CALL_AT
    out = LedgerEntryOut.of(old).model_dump(mode="json")
    assert (out["memo_code"], out["memo_params"]) == ("refund", {"charge_id": 4, "outcome_id": 9})
    free = LedgerEntry(**base, memo="Goodwill gesture", memo_code=None, memo_params=None)
    free.created_at = CALL_AT
    out = LedgerEntryOut.of(free).model_dump(mode="json")
    assert (out["memo"], out["memo_code"], out["memo_params"]) == ("Goodwill gesture", None, {})
