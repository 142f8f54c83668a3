"""Outcomes through the service: recording, the rules it refuses, corrections, confirmation, disputes, the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from closerhub import clock
from closerhub.booking.models import AppointmentEvent, AppointmentStatus
from closerhub.clock import frozen_at
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeRevision, OutcomeStatus
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import LedgerEntry
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

WON_4800 = OutcomeData(result="won", deal_value=Money(480000, "EUR"), objections=("price",), technique="summary")


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def call(deal):
    return make_call(deal)


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Outcome.id))),
        db.session.scalar(select(func.count(LedgerEntry.id))),
        db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.template.like("outcome_%"))),
    )


def record(deal, call, data=WON_4800, at=AFTER_CALL) -> Outcome:
    with frozen_at(at):
        return service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())


def test_a_won_deal_earns_15_percent_pending_and_completes_the_call(deal, call) -> None:
    outcome = record(deal, call)
    assert outcome.status == OutcomeStatus.RECORDED
    assert outcome.commission == Money(72000, "EUR")  # 720.00 EUR
    assert outcome.platform_fee == Money(7200, "EUR")  # PLATFORM_FEE_BPS 1000 of the commission
    assert (outcome.rate_bps, outcome.fee_bps) == (1500, 1000)
    assert outcome.confirm_deadline == AFTER_CALL + timedelta(days=7)
    assert outcome.objections == ["price"] and outcome.technique.value == "summary"
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert (balance.currency, balance.pending, balance.available, balance.paid) == ("EUR", 72000, 0, 0)
    db.session.refresh(call)
    assert call.status == AppointmentStatus.COMPLETED
    assert db.session.scalar(select(AppointmentEvent.kind).where(AppointmentEvent.appointment_id == call.id)) == (
        "completed"
    )
    recipients = set(
        db.session.scalars(select(OutboxMessage.to_address).where(OutboxMessage.template == "outcome_recorded"))
    )
    assert recipients == {deal.closer.email, deal.owner.email}


def test_a_no_show_marks_the_call_no_show_and_earns_nothing(deal, call) -> None:
    outcome = record(deal, call, OutcomeData(result="no_show"))
    assert outcome.commission is None
    assert ledger.balances(db.session, deal.closer.id) == []
    db.session.refresh(call)
    assert call.status == AppointmentStatus.NO_SHOW


def test_an_outcome_before_the_call_starts_is_refused_and_nothing_changes(deal, call) -> None:
    with pytest.raises(Conflict) as exc:
        record(deal, call, at=CALL_AT - timedelta(minutes=1))
    assert exc.value.code == "call_not_started"
    assert counts() == (0, 0, 0)


def test_a_second_outcome_for_the_same_call_is_refused(deal, call) -> None:
    record(deal, call)
    before = counts()
    with pytest.raises(Conflict) as exc:
        record(deal, call, OutcomeData(result="lost", lost_reason="price"))
    assert exc.value.code == "outcome_exists"
    assert counts() == before


@pytest.mark.parametrize("amount", [0, -100])
def test_a_zero_or_negative_deal_value_is_refused(deal, call, amount) -> None:
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="won", deal_value=Money(amount, "EUR")))
    assert "deal_value" in exc.value.field_errors
    assert counts() == (0, 0, 0)


def test_a_won_deal_without_a_value_is_refused(deal, call) -> None:
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="won"))
    assert exc.value.field_errors == {"deal_value": "Enter the deal value."}


def test_another_currency_needs_a_reason(deal, call) -> None:
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="won", deal_value=Money(500000, "USD")))
    assert "currency_reason" in exc.value.field_errors
    assert counts() == (0, 0, 0)
    outcome = record(
        deal, call, OutcomeData(result="won", deal_value=Money(500000, "USD"), currency_reason="US entity pays")
    )
    assert outcome.commission == Money(75000, "USD")
    assert [(b.currency, b.pending) for b in ledger.balances(db.session, deal.closer.id)] == [("USD", 75000)]


def test_a_lost_call_needs_its_reason_and_a_follow_up_its_next_step_in_the_future(deal, call) -> None:
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="lost", lost_reason="cheap"))
    assert "lost_reason" in exc.value.field_errors
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="follow_up", next_step_at=AFTER_CALL - timedelta(days=1)))
    assert set(exc.value.field_errors) == {"next_step", "next_step_at"}
    with pytest.raises(ValidationError) as exc:
        record(deal, call, OutcomeData(result="maybe"))
    assert "result" in exc.value.field_errors
    assert counts() == (0, 0, 0)


def test_only_the_calls_closer_records_and_a_cancelled_call_has_no_outcome(deal, call, make_user) -> None:
    other_closer = make_user("closer")
    with frozen_at(AFTER_CALL), pytest.raises(NotFound):
        service.record_outcome(db.session, other_closer, call.id, WON_4800, now=clock.utcnow())
    with frozen_at(AFTER_CALL), pytest.raises(PermissionDenied):
        service.record_outcome(db.session, deal.owner, call.id, WON_4800, now=clock.utcnow())
    call.status = AppointmentStatus.CANCELLED
    call.cancelled_at = CALL_AT - timedelta(days=1)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        record(deal, call)
    assert exc.value.code == "appointment_cancelled"
    assert counts()[0] == 0


def test_a_correction_keeps_the_history_and_restates_the_commission(deal, call) -> None:
    outcome = record(deal, call)
    with frozen_at(AFTER_CALL + timedelta(hours=2)):
        service.correct_outcome(
            db.session,
            deal.closer,
            outcome.id,
            OutcomeData(result="won", deal_value=Money(400000, "EUR")),
            now=clock.utcnow(),
        )
    assert outcome.revision == 2 and outcome.commission == Money(60000, "EUR")
    [revision] = db.session.scalars(select(OutcomeRevision))
    assert revision.data["deal_amount"] == 480000 and revision.data["commission_amount"] == 72000
    entries = [(e.kind.value, e.bucket.value, e.amount) for e in db.session.scalars(ledger.entries_query())]
    assert entries == [("earned", "pending", 72000), ("reversal", "pending", -72000), ("adjustment", "pending", 60000)]
    assert ledger.balances(db.session, deal.closer.id)[0].pending == 60000
    assert outcome.confirm_deadline == AFTER_CALL + timedelta(hours=2, days=7)  # a fresh window


def test_a_confirmed_outcome_is_locked(deal, call) -> None:
    outcome = record(deal, call)
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    with pytest.raises(Conflict) as exc:
        service.correct_outcome(
            db.session, deal.closer, outcome.id, OutcomeData(result="lost", lost_reason="price"), now=clock.utcnow()
        )
    assert exc.value.code == "outcome_locked"
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).result == OutcomeResult.WON


def test_confirming_in_manual_mode_bills_the_business_and_the_hold_starts_once_it_has_paid(
    deal, call, admin_user
) -> None:
    outcome = record(deal, call)
    confirmed_at = AFTER_CALL + timedelta(days=1)
    with frozen_at(confirmed_at):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    assert outcome.status == OutcomeStatus.CONFIRMED and outcome.confirmed_by_id == deal.owner.id
    charge = charge_queries.charge_of(db.session, outcome.id)
    assert charge.status == ChargeStatus.MANUAL_DUE and charge.amount == 72000 + 7200
    assert outcome.charged_at is None  # not paid yet: no clawback hold
    paid_at = confirmed_at + timedelta(days=2)
    charges.mark_manual_paid(db.session, admin_user, charge.id, "bank transfer", paid_at)
    assert outcome.charged_at == paid_at
    assert outcome.release_after == paid_at + timedelta(days=14)
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.template == "outcome_confirmed"))


def test_another_business_cannot_see_or_confirm_the_outcome(deal, call, make_user) -> None:
    outcome = record(deal, call)
    stranger = make_user("business")
    with pytest.raises(NotFound):
        settlement.confirm(db.session, stranger, outcome.id, now=clock.utcnow())
    with pytest.raises(NotFound):
        settlement.dispute(db.session, stranger, outcome.id, "not ours", now=clock.utcnow())
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.RECORDED


def test_a_closer_cannot_confirm_their_own_outcome(deal, call) -> None:
    outcome = record(deal, call)
    with pytest.raises(PermissionDenied):
        settlement.confirm(db.session, deal.closer, outcome.id, now=clock.utcnow())
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.RECORDED


def test_a_dispute_needs_a_reason_and_the_window_still_open(deal, call) -> None:
    outcome = record(deal, call)
    with frozen_at(AFTER_CALL + timedelta(days=1)), pytest.raises(ValidationError) as exc:
        settlement.dispute(db.session, deal.owner, outcome.id, "   ", now=clock.utcnow())
    assert "reason" in exc.value.field_errors
    with frozen_at(AFTER_CALL + timedelta(days=8)), pytest.raises(Conflict) as conflict:
        settlement.dispute(db.session, deal.owner, outcome.id, "Too late", now=clock.utcnow())
    assert conflict.value.code == "confirm_window_closed"
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        settlement.dispute(
            db.session, deal.owner, outcome.id, "The client paid 3,000 EUR, not 4,800.", now=clock.utcnow()
        )
    assert outcome.status == OutcomeStatus.DISPUTED
    with pytest.raises(Conflict):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())


def test_silence_past_the_deadline_confirms_once_even_when_the_job_runs_twice(deal, call, make_user) -> None:
    due = record(deal, call)
    later_call = make_call(deal, CALL_AT + timedelta(days=3))
    not_due = record(deal, later_call, at=CALL_AT + timedelta(days=3, hours=1))
    deadline = due.confirm_deadline
    assert settlement.auto_confirm_due(db.session, deadline - timedelta(seconds=1)) == 0
    assert settlement.auto_confirm_due(db.session, deadline) == 1
    assert settlement.auto_confirm_due(db.session, deadline) == 0
    db.session.expire_all()
    due, not_due = db.session.get(Outcome, due.id), db.session.get(Outcome, not_due.id)
    assert due.status == OutcomeStatus.CONFIRMED and due.confirmed_by_id is None
    assert charge_queries.charge_of(db.session, due.id).status == ChargeStatus.MANUAL_DUE  # billed on confirmation
    assert not_due.status == OutcomeStatus.RECORDED


def dispute_it(deal, call) -> Outcome:
    outcome = record(deal, call)
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        settlement.dispute(db.session, deal.owner, outcome.id, "The client paid 3,000 EUR.", now=clock.utcnow())
    return outcome


def test_only_an_admin_resolves_and_a_note_is_required(deal, call, admin_user) -> None:
    outcome = dispute_it(deal, call)
    with pytest.raises(PermissionDenied):
        settlement.resolve_dispute(db.session, deal.owner, outcome.id, note="fine", now=clock.utcnow())
    with pytest.raises(ValidationError) as exc:
        settlement.resolve_dispute(
            db.session, admin_user, outcome.id, note="  ", deal_value=Money(300000, "EUR"), now=clock.utcnow()
        )
    assert "note" in exc.value.field_errors
    with pytest.raises(ValidationError) as exc:
        settlement.resolve_dispute(
            db.session, admin_user, outcome.id, note="ok", deal_value=Money(300000, "USD"), now=clock.utcnow()
        )
    assert "deal_value" in exc.value.field_errors
    db.session.expire_all()
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.DISPUTED
    assert ledger.balances(db.session, deal.closer.id)[0].pending == 72000


def test_a_dispute_resolved_to_a_lower_value_reverses_and_earns_anew(deal, call, admin_user) -> None:
    outcome = dispute_it(deal, call)
    with frozen_at(AFTER_CALL + timedelta(days=2)):
        settlement.resolve_dispute(
            db.session,
            admin_user,
            outcome.id,
            note="Invoice shows 3,000 EUR.",
            deal_value=Money(300000, "EUR"),
            now=clock.utcnow(),
        )
    assert outcome.status == OutcomeStatus.RESOLVED and outcome.commission == Money(45000, "EUR")
    entries = [(e.kind.value, e.amount) for e in db.session.scalars(ledger.entries_query(deal.closer.id))]
    assert entries == [("earned", 72000), ("reversal", -72000), ("adjustment", 45000)]
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert (balance.pending, balance.available, balance.paid) == (45000, 0, 0)
    assert charge_queries.charge_of(db.session, outcome.id).commission == 45000  # billed at the adjusted value
    resolved_mail = select(OutboxMessage.to_address).where(OutboxMessage.template == "outcome_resolved")
    assert set(db.session.scalars(resolved_mail)) == {deal.closer.email, deal.owner.email}


def test_a_voided_outcome_reverses_the_commission(deal, call, admin_user) -> None:
    outcome = dispute_it(deal, call)
    settlement.resolve_dispute(
        db.session, admin_user, outcome.id, note="No sale happened.", void=True, now=clock.utcnow()
    )
    assert outcome.status == OutcomeStatus.VOIDED
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert balance.total == 0
    assert ledger.release_available(db.session, AFTER_CALL + timedelta(days=60)) == 0


def test_correcting_a_won_deal_to_lost_reverses_its_commission(deal, call) -> None:
    outcome = record(deal, call)
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        service.correct_outcome(
            db.session, deal.closer, outcome.id, OutcomeData(result="lost", lost_reason="trust"), now=clock.utcnow()
        )
    assert outcome.commission is None and outcome.deal_value is None
    entries = [(e.kind.value, e.currency, e.amount) for e in db.session.scalars(ledger.entries_query())]
    assert entries == [("earned", "EUR", 72000), ("reversal", "EUR", -72000)]
    assert ledger.balances(db.session, deal.closer.id)[0].total == 0


def test_a_not_a_fit_outcome_tells_the_business_why_the_closer_declined_and_their_notes(deal, call) -> None:
    data = OutcomeData(result="not_a_fit", lost_reason_text="They need a dentist, not a coach.", notes="Referred on.")
    outcome = record(deal, call, data)
    assert outcome.lost_reason_text == "They need a dentist, not a coach."
    db.session.expire_all()
    to_business = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.template == "outcome_recorded", OutboxMessage.to_address != deal.closer.email
        )
    )
    assert "Why the closer declined to sell: They need a dentist, not a coach." in to_business.text_body
    assert "Closer's notes: Referred on." in to_business.text_body
    assert "They need a dentist, not a coach." in to_business.html_body
