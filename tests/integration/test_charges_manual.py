"""Manual mode (no Stripe keys), the business's charges and receipts, the admin money desk, the charges API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import settlement
from closerhub.outcomes.models import Outcome
from closerhub.payments.charges import retries as charge_retries
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from tests.conftest import _logged_in
from tests.integration.charges_support import CONFIRMED_AT, confirm, won_outcome
from tests.integration.outcome_support import make_deal
from tests.integration.test_api_accounts import bearer

PAID_AT = CONFIRMED_AT + timedelta(days=3)


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def due(deal) -> Charge:
    """A confirmed won deal in manual mode: its charge waits for a bank transfer."""
    return confirm(deal, won_outcome(deal))


def state(charge_id: int) -> tuple[ChargeStatus, object]:
    db.session.expire_all()
    charge = db.session.get(Charge, charge_id)
    return charge.status, charge.outcome.charged_at


def test_in_manual_mode_a_confirmed_deal_is_due_by_bank_transfer_and_holds_the_commission(deal, due) -> None:
    assert due.status == ChargeStatus.MANUAL_DUE and due.attempts == 0
    assert (due.amount, due.commission, due.platform_fee) == (79200, 72000, 7200)
    assert due.outcome.charged_at is None  # confirmation no longer counts as the charge
    assert ledger.release_available(db.session, CONFIRMED_AT + timedelta(days=90)) == 0
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "charge_notice"))
    assert mail.to_address == deal.owner.email and "bank transfer" in mail.text_body
    assert f"charge {due.id}" in mail.text_body
    # The business reads which deal it pays for by its client and day, not by an outcome number.
    client = due.outcome.appointment.lead.name
    assert f"The deal closed on the call with {client} on " in mail.text_body and "#" not in mail.text_body
    assert mail.subject.startswith("Commission due: €792.00 for the call with " + client)
    # The job leaves it alone.
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(days=5)) == 0


def test_an_admin_marks_a_manual_charge_paid_after_a_confirmation_page_and_it_is_audited(
    app, admin_client: FlaskClient, admin_user, deal, due
) -> None:
    desk = admin_client.get("/admin/money")
    assert desk.status_code == 200 and f'data-testid="manual-{due.id}"' in desk.get_data(as_text=True)
    page = admin_client.get(f"/admin/money/charges/{due.id}/mark-paid")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Yes, mark" in text and "€792.00" in text
    assert state(due.id) == (ChargeStatus.MANUAL_DUE, None)  # showing the page changes nothing
    with frozen_at(PAID_AT):
        done = admin_client.post(
            f"/admin/money/charges/{due.id}/mark-paid", data={"confirm": "yes", "reference": "SEPA 2026-12-05 #881"}
        )
    assert done.status_code == 302
    assert state(due.id) == (ChargeStatus.MANUAL_PAID, PAID_AT)
    charge = db.session.get(Charge, due.id)
    assert charge.paid_at == PAID_AT and charge.manual_reference == "SEPA 2026-12-05 #881"
    assert charge.outcome.release_after == PAID_AT + timedelta(days=14)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "charge.mark_paid"))
    assert entry.actor_id == admin_user.id and entry.object_id == str(due.id)
    assert entry.before == {"status": "manual_due"} and entry.after["reference"] == "SEPA 2026-12-05 #881"
    # A second submission is refused: nothing changes, no second audit row.
    again = admin_client.post(f"/admin/money/charges/{due.id}/mark-paid", data={"confirm": "yes"})
    assert again.status_code == 409
    assert "This charge is Paid (bank transfer), not awaiting a manual payment." in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "charge.mark_paid")) == 1


def test_marking_paid_needs_the_confirmation_and_a_valid_reference(admin_client: FlaskClient, due) -> None:
    unconfirmed = admin_client.post(f"/admin/money/charges/{due.id}/mark-paid", data={"reference": "x"})
    assert unconfirmed.status_code == 422 and "confirm first" in unconfirmed.get_data(as_text=True)
    too_long = admin_client.post(
        f"/admin/money/charges/{due.id}/mark-paid", data={"confirm": "yes", "reference": "x" * 201}
    )
    assert too_long.status_code == 422 and 'class="error"' in too_long.get_data(as_text=True)
    assert state(due.id) == (ChargeStatus.MANUAL_DUE, None)
    assert admin_client.get("/admin/money/charges/999999/mark-paid").status_code == 404


def test_marking_paid_without_a_csrf_token_is_refused(admin_client: FlaskClient, due, csrf_enabled) -> None:
    response = admin_client.post(f"/admin/money/charges/{due.id}/mark-paid", data={"confirm": "yes"})
    assert response.status_code in (400, 422)
    assert state(due.id) == (ChargeStatus.MANUAL_DUE, None)
    page = admin_client.get(f"/admin/money/charges/{due.id}/mark-paid").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_only_admins_reach_the_money_desk(app, deal, due, business_client: FlaskClient, closer_client) -> None:
    owner = _logged_in(app, deal.owner)
    for client in (owner, business_client, closer_client):
        assert client.get("/admin/money").status_code == 403
        assert client.post(f"/admin/money/charges/{due.id}/mark-paid", data={"confirm": "yes"}).status_code == 403
    assert state(due.id)[0] == ChargeStatus.MANUAL_DUE


def test_the_business_lists_its_charges_and_prints_a_receipt(app, deal, due, admin_user) -> None:
    owner = _logged_in(app, deal.owner)
    page = owner.get("/billing/charges")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-testid="charge-{due.id}"' in text
    assert "€792.00" in text and "€720.00" in text and "€72.00" in text and "Due (bank transfer)" in text
    assert "Created (UTC)" in text or "Created (" in text  # the zone beside the times
    statement = owner.get(f"/billing/charges/{due.id}/receipt").get_data(as_text=True)
    assert "Statement — not paid" in statement and f"charge {due.id}" in statement
    with frozen_at(PAID_AT):
        charges.mark_manual_paid(db.session, admin_user, due.id, "SEPA", PAID_AT)
    receipt = owner.get(f"/billing/charges/{due.id}/receipt")
    text = receipt.get_data(as_text=True)
    assert receipt.status_code == 200
    for needle in ("Receipt", "CloserHub (legal entity name", "€720.00", "€72.00", "€792.00", "Paid (bank transfer)"):
        assert needle in text, needle
    assert 'data-testid="paid-at"' in text and "receipt.css" in text
    assert "@media print" in app.test_client().get("/static/css/receipt.css").get_data(as_text=True)


def test_amounts_follow_the_readers_locale(app, make_user, deal, due) -> None:
    deal.owner.language = "fr"
    db.session.commit()
    text = _logged_in(app, deal.owner).get("/billing/charges").get_data(as_text=True)
    assert "792,00\u00a0€" in text or "792,00 €" in text


def test_another_business_and_closers_get_404_for_a_charge(app, make_user, deal, due, closer_client) -> None:
    stranger = _logged_in(app, make_user("business"))
    assert stranger.get(f"/billing/charges/{due.id}/receipt").status_code == 404
    assert f"charge-{due.id}" not in stranger.get("/billing/charges").get_data(as_text=True)
    assert _logged_in(app, deal.closer).get(f"/billing/charges/{due.id}/receipt").status_code == 404
    assert closer_client.get("/billing/charges").status_code == 403


def test_the_api_lists_a_businesss_own_charges_and_all_for_an_admin(
    client: FlaskClient, make_user, deal, due, admin_user
) -> None:
    other = make_deal(make_user)
    theirs = confirm(other, won_outcome(other))
    mine = client.get("/api/v1/charges", headers=bearer(deal.owner))
    assert mine.status_code == 200
    [item] = mine.get_json()["data"]
    assert item["id"] == due.id and item["status"] == "manual_due"
    assert item["amount"] == {"amount": 79200, "currency": "EUR"} and item["commission"]["amount"] == 72000
    assert item["transfer_group"] == f"outcome-{due.outcome_id}"
    everything = client.get("/api/v1/charges?limit=1", headers=bearer(admin_user)).get_json()
    assert [c["id"] for c in everything["data"]] == [theirs.id] and everything["next_cursor"]
    page2 = client.get(f"/api/v1/charges?limit=1&cursor={everything['next_cursor']}", headers=bearer(admin_user))
    assert [c["id"] for c in page2.get_json()["data"]] == [due.id]
    hidden = client.get(f"/api/v1/charges/{theirs.id}", headers=bearer(deal.owner))
    assert hidden.status_code == 404 and hidden.content_type == "application/problem+json"
    assert client.get("/api/v1/charges", headers=bearer(deal.closer)).status_code == 403
    assert client.get("/api/v1/charges").status_code == 401
    bad = client.get("/api/v1/charges?limit=0", headers=bearer(deal.owner))
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"


def test_a_voided_dispute_is_never_charged(deal, admin_user) -> None:

    outcome = won_outcome(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.dispute(db.session, deal.owner, outcome.id, "No sale.", now=clock.utcnow())
        settlement.resolve_dispute(
            db.session, admin_user, outcome.id, note="Agreed: no sale.", void=True, now=clock.utcnow()
        )
    assert db.session.scalar(select(func.count(Charge.id))) == 0
    assert db.session.get(Outcome, outcome.id).charged_at is None
