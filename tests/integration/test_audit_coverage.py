"""Every change to bookings, outcomes, the ledger, payout accounts and platform settings leaves an audit row,
written in the same transaction as the change (a refused change leaves none)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.audit.models import AuditEntry
from closerhub.booking import service as booking
from closerhub.core.errors import ValidationError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger import service as ledger
from closerhub.payments.stripe.models import ConnectAccount
from closerhub.platform_settings.commands import SettingsChange
from closerhub.platform_settings.service import update_settings
from tests.fakes.servers import stripe_settings
from tests.fakes.stripe_connect import FakeStripeConnect
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, setting
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

__all__ = ["frozen", "setting"]  # fixtures

WON = OutcomeData(result="won", deal_value=Money(100000, "EUR"))


def rows(object_type: str, object_id: object) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )


def actions(object_type: str, object_id: object) -> list[str]:
    return [e.action for e in rows(object_type, object_id)]


def test_booking_rescheduling_and_cancelling_are_audited_with_who_and_what(
    setting: dict[str, Any], business_user: Any
) -> None:
    call = book(setting["offer"])
    booking.reschedule(
        db.session,
        call,
        start=TUESDAY_9 + hours(2),
        actor=business_user,
        actor_label="business",
        reason="Prospect asked",
        now=NOW,
    )
    booking.cancel(db.session, call, actor=None, actor_label="prospect", reason="Bought elsewhere", now=NOW)
    entries = rows("appointment", call.id)
    assert [e.action for e in entries] == ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]
    booked, moved, cancelled = entries
    assert booked.actor_label == "prospect" and booked.after["starts_at"] == "2026-06-02T07:00:00+00:00"
    assert moved.actor_id == business_user.id
    assert moved.before == {"starts_at": "2026-06-02T07:00:00+00:00"}
    assert moved.after["starts_at"] == "2026-06-02T09:00:00+00:00" and moved.after["reason"] == "Prospect asked"
    assert cancelled.actor_id is None and cancelled.actor_label == "prospect"
    assert cancelled.after == {"status": "cancelled", "reason": "Bought elsewhere"}


def test_a_refused_booking_leaves_no_audit_row(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        book(setting["offer"], start=TUESDAY_9 + timedelta(minutes=7))  # not a slot
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.startswith("appointment."))) is None


def test_each_outcome_event_is_audited(make_user: Any, admin_user: Any) -> None:
    deal = make_deal(make_user)
    first, second, third = (make_call(deal, CALL_AT + timedelta(days=d)) for d in range(3))
    with clock.frozen_at(AFTER_CALL + timedelta(days=2)):
        recorded = service.record_outcome(db.session, deal.closer, first.id, WON, now=clock.utcnow())
        service.correct_outcome(
            db.session,
            deal.closer,
            recorded.id,
            OutcomeData(result="won", deal_value=Money(120000, "EUR")),
            now=clock.utcnow(),
        )
        settlement.confirm(db.session, deal.owner, recorded.id, now=clock.utcnow())
        disputed = service.record_outcome(db.session, deal.closer, second.id, WON, now=clock.utcnow())
        settlement.dispute(db.session, deal.owner, disputed.id, "Not signed", now=clock.utcnow())
        settlement.resolve_dispute(db.session, admin_user, disputed.id, note="Contract seen.", now=clock.utcnow())
        silent = service.record_outcome(db.session, deal.closer, third.id, WON, now=clock.utcnow())
    assert actions("outcome", recorded.id) == ["outcome.recorded", "outcome.corrected", "outcome.confirmed"]
    assert actions("outcome", disputed.id) == ["outcome.recorded", "outcome.disputed", "outcome.resolved"]
    corrected = rows("outcome", recorded.id)[1]
    assert corrected.before["commission_amount"] == 15000 and corrected.after["commission_amount"] == 18000
    resolved = rows("outcome", disputed.id)[-1]
    assert resolved.actor_id == admin_user.id and resolved.after["decision"] == "confirmed"
    assert resolved.before["status"] == "disputed" and resolved.after["status"] == "resolved"

    with clock.frozen_at(silent.confirm_deadline + timedelta(minutes=1)):
        assert settlement.auto_confirm_due(db.session, clock.utcnow()) == 1
        assert settlement.auto_confirm_due(db.session, clock.utcnow()) == 0  # a second run audits nothing more
    auto = rows("outcome", silent.id)
    assert [e.action for e in auto] == ["outcome.recorded", "outcome.auto_confirmed"]
    assert auto[-1].actor_id is None and auto[-1].actor_label == "system"
    assert auto[-1].before["status"] == "recorded" and auto[-1].after["status"] == "confirmed"


def test_releasing_a_held_commission_is_audited_once(make_user: Any) -> None:
    deal = make_deal(make_user)
    call = make_call(deal)
    with clock.frozen_at(AFTER_CALL):
        outcome = service.record_outcome(db.session, deal.closer, call.id, WON, now=clock.utcnow())
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
        ledger.mark_charged(db.session, outcome, clock.utcnow())  # the business has paid (if not marked yet)
        db.session.commit()
    later = AFTER_CALL + timedelta(days=400)
    with clock.frozen_at(later):
        assert ledger.release_available(db.session, later) == 1
        assert ledger.release_available(db.session, later) == 0
    released = [e for e in rows("outcome", outcome.id) if e.action == "ledger.released"]
    assert len(released) == 1
    assert released[0].before == {"pending": 15000}
    assert released[0].after["available"] == 15000 and released[0].after["currency"] == "EUR"


def test_payout_account_creation_and_state_changes_are_audited(
    app: Flask, closer_client: FlaskClient, closer: Any, connect_fake: FakeStripeConnect
) -> None:
    app.config.update(stripe_settings(connect_fake.url))
    closer_client.post("/payouts/setup/start")
    row = db.session.scalar(select(ConnectAccount).where(ConnectAccount.closer_id == closer.id))
    assert row is not None
    connect_fake.complete_onboarding(row.stripe_account_id)
    closer_client.get("/payouts/setup/return")
    closer_client.get("/payouts/setup/return")  # nothing changed since: no second "updated" row
    entries = rows("connect_account", row.id)
    assert [e.action for e in entries] == ["payout_account.created", "payout_account.updated"]
    assert entries[0].actor_id == closer.id and entries[0].after["stripe_account_id"] == row.stripe_account_id
    assert entries[1].before["payouts_enabled"] is False and entries[1].after["payouts_enabled"] is True


def test_platform_setting_changes_are_audited(admin_user: Any) -> None:
    update_settings(db.session, admin_user, SettingsChange(confirm_days=3), now=clock.utcnow())
    (entry,) = rows("platform_setting", "confirm_days")
    assert entry.action == "setting.changed" and entry.before == {"value": 7} and entry.after == {"value": 3}
