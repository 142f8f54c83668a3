"""The fee, confirmation window and clawback hold that outcomes and the ledger use come from the admin's
platform settings (database), with the environment as the default; a change applies to the next outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.service import OutcomeData
from closerhub.outcomes.settings import setting
from closerhub.payments.ledger import service as ledger
from tests.conftest import _logged_in
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal
from tests.integration.test_admin_settings import FORM

WON = OutcomeData(result="won", deal_value=Money(100000, "EUR"))


def test_without_an_admin_value_the_environment_decides(app: Flask) -> None:
    app.config.update(PLATFORM_FEE_BPS=800, CONFIRM_DAYS=5, CLAWBACK_DAYS=21)
    assert (setting("PLATFORM_FEE_BPS"), setting("CONFIRM_DAYS"), setting("CLAWBACK_DAYS")) == (800, 5, 21)


def test_the_admin_settings_page_changes_the_fee_the_confirm_window_and_the_clawback_of_the_next_outcome(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    deal = make_deal(make_user)
    before, after = make_call(deal), make_call(deal, CALL_AT + timedelta(days=1))
    with clock.frozen_at(AFTER_CALL):
        old = service.record_outcome(db.session, deal.closer, before.id, WON, now=clock.utcnow())
    assert old.fee_bps == 1000 and old.confirm_deadline == AFTER_CALL + timedelta(days=7)

    response = admin_client.post(
        "/admin/settings", data={**FORM, "platform_fee_bps": "12", "confirm_days": "3", "clawback_days": "30"}
    )
    assert response.status_code == 302
    moment = AFTER_CALL + timedelta(days=1)
    with clock.frozen_at(moment):
        new = service.record_outcome(db.session, deal.closer, after.id, WON, now=clock.utcnow())
        settlement.confirm(db.session, deal.owner, new.id, now=clock.utcnow())
        ledger.mark_charged(db.session, new, moment)
        db.session.commit()
    assert new.fee_bps == 1200 and new.platform_fee_amount == 1800  # 12 % of the 15,000 commission
    assert new.confirm_deadline == moment + timedelta(days=3)
    assert new.release_after == new.charged_at + timedelta(days=30)
    db.session.refresh(old)
    assert old.fee_bps == 1000  # past outcomes keep the fee they were recorded with
    earnings = _logged_in(app, deal.closer).get("/earnings").get_data(as_text=True)
    assert "30-day clawback hold" in earnings


def test_a_refused_settings_form_leaves_the_values_in_force(admin_client: FlaskClient) -> None:
    response = admin_client.post("/admin/settings", data={**FORM, "confirm_days": "0"})
    assert response.status_code == 422
    assert setting("CONFIRM_DAYS") == 7
