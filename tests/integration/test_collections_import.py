"""CSV import of collections: rows matched by outcome id or lead email and amount are collected (with their
accrual and charge), the others are reported per row; a file that cannot be read collects nothing."""

from __future__ import annotations

import io
from datetime import timedelta

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.outcomes import settlement
from closerhub.outcomes.models_instalments import InstalmentStatus
from tests.conftest import _logged_in
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import cash_deal, charges_of, ledger_total, plan_of, won_with_plan
from tests.integration.test_api_accounts import bearer

LATER = CONFIRMED_AT + timedelta(days=60)


def confirmed(make_user):
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    return deal, outcome


def test_matched_rows_are_collected_and_the_others_reported_by_line(app, make_user) -> None:
    deal, outcome = confirmed(make_user)
    email = outcome.appointment.lead.email
    body = (
        "outcome_id,email,amount,collected_on\n"
        f"{outcome.id},,333.35,2026-12-15\n"  # by outcome id: the first instalment
        f",{email.upper()},333.35,2027-01-15\n"  # by lead email: the next one of that amount
        f"{outcome.id},,999.00,2027-01-16\n"  # no instalment of that amount
        f"{outcome.id},,333.35,15/01/2027\n"  # bad date
        "999999,,333.35,2027-01-16\n"  # not a deal of this business
    )
    client = _logged_in(app, deal.owner)
    with frozen_at(LATER):
        page = client.post(
            "/outcomes/collections/import",
            data={"file": (io.BytesIO(body.encode()), "collections.csv")},
            content_type="multipart/form-data",
        )
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[:1000]
    assert "2 instalments marked collected" in text and "3 rows rejected" in text
    assert [line for line in (4, 5, 6) if f'data-line="{line}"' in text] == [4, 5, 6]
    plan = plan_of(outcome.id)
    assert [i.status for i in plan] == [InstalmentStatus.COLLECTED, InstalmentStatus.COLLECTED, InstalmentStatus.DUE]
    assert ledger_total(outcome.id) == 10_001 and len(charges_of(outcome.id)) == 2


def test_the_api_imports_a_csv_body_and_refuses_an_unreadable_file_without_collecting(app, make_user) -> None:
    deal, outcome = confirmed(make_user)
    client, headers = app.test_client(), {**bearer(deal.owner), "Content-Type": "text/csv"}
    with frozen_at(LATER):
        broken = client.post("/api/v1/instalments/import", data="name,whatever\nx,y\n", headers=headers)
        assert broken.status_code == 422 and broken.get_json()["errors"][0]["field"] == "file"
        assert ledger_total(outcome.id) == 0
        done = client.post(
            "/api/v1/instalments/import",
            data=f"outcome;amount;date\n{outcome.id};333.35;2026-12-20\n{outcome.id};12.00;2026-12-20\n",
            headers=headers,
        )
    assert done.status_code == 200, done.get_json()
    report = done.get_json()
    assert report["rows"] == 2 and report["collected"] == [plan_of(outcome.id)[0].id]
    assert report["rejected"][0]["line"] == 3 and report["rejected"][0]["errors"][0]["field"] == "amount"
    assert ledger_total(outcome.id) == 5_000
