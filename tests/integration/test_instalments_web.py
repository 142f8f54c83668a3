"""Instalments through the pages and the API: bad input changes nothing, tenants and roles are kept apart,
the closer disputes a missed marking and an admin settles it, a collection sends instalment.collected."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import instalments, service, settlement
from closerhub.outcomes.models_instalments import InstalmentStatus
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import WebhookEvent
from closerhub.webhooks.service import create_endpoint
from tests.conftest import _logged_in
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import PART, cash_deal, ledger_total, plan_of, won_with_plan
from tests.integration.test_api_accounts import bearer

LATER = CONFIRMED_AT + timedelta(days=14)


def confirmed_plan(make_user):
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    return deal, outcome, [i.id for i in plan_of(outcome.id)]


def test_the_business_marks_collected_and_refunds_on_the_page_and_bad_input_changes_nothing(app, make_user) -> None:
    deal, outcome, (first, _second, _third) = confirmed_plan(make_user)
    business = _logged_in(app, deal.owner)
    with frozen_at(LATER):
        page = business.get(f"/outcomes/{outcome.id}/instalments")
        assert page.status_code == 200 and 'data-testid="collect-1"' in page.get_data(as_text=True)
        future = business.post(f"/instalments/{first}/collect", data={"collected_on": "2031-01-01"})
        assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
        garbage = business.post(f"/instalments/{first}/collect", data={"collected_on": "soon"})
        assert garbage.status_code == 422
        assert plan_of(outcome.id)[0].status == InstalmentStatus.DUE and ledger_total(outcome.id) == 0
        done = business.post(f"/instalments/{first}/collect", data={"collected_on": LATER.date().isoformat()})
        assert done.status_code == 302
        assert plan_of(outcome.id)[0].status == InstalmentStatus.COLLECTED and ledger_total(outcome.id) == 5_000
        too_much = business.post(f"/instalments/{first}/refund", data={"amount": "333.36"})
        assert too_much.status_code == 422 and "at most what is left" in too_much.get_data(as_text=True)
        not_money = business.post(f"/instalments/{first}/refund", data={"amount": "lots"})
        assert not_money.status_code == 422
        assert plan_of(outcome.id)[0].refunded_amount == 0 and ledger_total(outcome.id) == 5_000
        refunded = business.post(f"/instalments/{first}/refund", data={"amount": "333.35"})
        assert refunded.status_code == 302
    assert plan_of(outcome.id)[0].status == InstalmentStatus.REFUNDED and ledger_total(outcome.id) == 0


def test_other_tenants_and_the_closer_cannot_mark_instalments(app, make_user) -> None:
    deal, outcome, (first, *_rest) = confirmed_plan(make_user)
    stranger = make_user("business", business_name="Other Co")
    other = _logged_in(app, stranger)
    assert other.get(f"/outcomes/{outcome.id}/instalments").status_code == 404
    with frozen_at(LATER):
        assert other.post(f"/instalments/{first}/miss").status_code == 404
    client = app.test_client()
    with frozen_at(LATER):
        assert client.post(f"/api/v1/instalments/{first}/miss", headers=bearer(stranger)).status_code == 404
        closer = client.post(
            f"/api/v1/instalments/{first}/collect", json={"collected_on": "2026-12-10"}, headers=bearer(deal.closer)
        )
        assert closer.status_code == 403
    assert plan_of(outcome.id)[0].status == InstalmentStatus.DUE


def test_the_api_lists_collects_misses_and_refunds_with_problems_for_bad_input(app, make_user) -> None:
    deal, outcome, (first, second, _third) = confirmed_plan(make_user)
    create_endpoint(
        db.session,
        deal.offer.business_id,
        NewEndpoint(url="https://hooks.example.com/in", events=("instalment.collected",)),
        now=clock.utcnow(),
    )
    db.session.commit()
    client, headers = app.test_client(), bearer(deal.owner)
    with frozen_at(LATER):
        listed = client.get(f"/api/v1/outcomes/{outcome.id}/instalments", headers=bearer(deal.closer)).get_json()
        assert [i["status"] for i in listed["data"]] == ["due", "due", "due"]
        assert listed["data"][0]["amount"] == PART.as_dict() and listed["data"][0]["due_on"] == "2026-12-15"
        bad = client.post(f"/api/v1/instalments/{first}/collect", json={"collected_on": "15/12/2026"}, headers=headers)
        assert bad.status_code == 422 and bad.content_type == "application/problem+json"
        ok = client.post(f"/api/v1/instalments/{first}/collect", json={"collected_on": "2026-12-15"}, headers=headers)
        assert ok.status_code == 200, ok.get_json()
        body = ok.get_json()
        assert body["status"] == "collected" and body["commission"]["amount"] == 5_000
        assert body["commission"]["basis"] == "cash_collected"
        again = client.post(
            f"/api/v1/instalments/{first}/collect", json={"collected_on": "2026-12-15"}, headers=headers
        )
        assert again.status_code == 409
        wrong = client.post(
            f"/api/v1/instalments/{first}/refund", json={"amount": {"amount": 100, "currency": "USD"}}, headers=headers
        )
        assert wrong.status_code == 422
        missed = client.post(f"/api/v1/instalments/{second}/miss", headers=headers)
        assert missed.status_code == 200 and missed.get_json()["status"] == "missed"
        refunded = client.post(
            f"/api/v1/instalments/{first}/refund",
            json={"amount": {"amount": 1_000, "currency": "EUR"}},
            headers=headers,
        )
        assert refunded.status_code == 200 and refunded.get_json()["refunded"]["amount"] == 1_000
    events = db.session.scalars(select(WebhookEvent)).all()
    assert [e.type for e in events] == ["instalment.collected"]
    assert events[0].payload["data"]["id"] == first and events[0].payload["data"]["status"] == "collected"


def test_the_closer_disputes_a_missed_instalment_and_an_admin_puts_it_back_to_due(app, make_user) -> None:
    deal, outcome, (_first, second, _third) = confirmed_plan(make_user)
    admin = make_user("admin")
    business, closer, desk = _logged_in(app, deal.owner), _logged_in(app, deal.closer), _logged_in(app, admin)
    with frozen_at(LATER):
        assert business.post(f"/instalments/{second}/miss").status_code == 302
        told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "instalment_missed")).all()
        assert [m.to_address for m in told] == [deal.closer.email] and "marked instalment 2" in told[0].subject
        empty = closer.post(f"/instalments/{second}/dispute-miss", data={"reason": "  "})
        assert empty.status_code == 422 and plan_of(outcome.id)[1].miss_disputed_at is None
        sent = closer.post(f"/instalments/{second}/dispute-miss", data={"reason": "The client paid by transfer."})
        assert sent.status_code == 302
        page = desk.get("/admin/disputes").get_data(as_text=True)
        assert f'data-testid="miss-dispute-{second}"' in page and "The client paid by transfer." in page
        assert desk.post(f"/admin/instalments/{second}/resolve-miss", data={"decision": "due"}).status_code == 302
    settled = plan_of(outcome.id)[1]
    assert settled.status == InstalmentStatus.DUE and not settled.miss_dispute_open


def test_analytics_show_cash_collected_against_contract_value_per_closer_and_offer(app, make_user) -> None:
    deal, _outcome, (first, second, _third) = confirmed_plan(make_user)
    with frozen_at(LATER):
        instalments.collect(db.session, deal.owner, first, LATER.date(), now=clock.utcnow())
        instalments.collect(db.session, deal.owner, second, LATER.date(), now=clock.utcnow())
        owner = _logged_in(app, deal.owner)
        answer = owner.get("/analytics/revenue_by_closer.csv?weeks=4")
        by_offer = owner.get("/analytics/revenue_by_offer.csv?weeks=4").get_data(as_text=True)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text
    header, row = (line.split(",") for line in text.strip().splitlines()[:2])
    values = dict(zip(header, row, strict=True))
    # One deal (two charges must not count it twice): €1,000.05 closed, €666.70 collected = 66.7 %.
    assert values["Deals won"] == "1" and values["Revenue closed"] == "1000.05"
    assert values["Cash collected"] == "666.70" and values["Collection rate (%)"] == "66.7"
    assert values["Commission + fees owed"] == "110.01"  # the two instalment charges, unpaid (manual mode)
    assert "666.70" in by_offer and "66.7" in by_offer


def test_the_closer_records_a_payment_plan_on_the_outcome_form_and_a_bad_line_records_nothing(app, make_user) -> None:
    from tests.integration.outcome_support import AFTER_CALL, make_call

    deal = cash_deal(make_user)
    call = make_call(deal)
    closer = _logged_in(app, deal.closer)
    won = {"result": "won", "deal_value": "4,800.00", "currency": "EUR"}
    with frozen_at(AFTER_CALL):
        bad = closer.post(
            f"/appointments/{call.id}/outcome", data={**won, "payment_plan": "2027-01-15 1,600.00\nsoon 3,200"}
        )
        assert bad.status_code == 422 and "Line 2 of the payment plan" in bad.get_data(as_text=True)
        short = closer.post(f"/appointments/{call.id}/outcome", data={**won, "payment_plan": "2027-01-15 1,600.00"})
        assert short.status_code == 422 and "add up to the deal value" in short.get_data(as_text=True)
        assert service.outcome_of(db.session, call.id) is None
        plan = "2027-01-15 1,600.00\n2027-02-15 1,600.00\n2027-03-15 1,600.00"
        done = closer.post(f"/appointments/{call.id}/outcome", data={**won, "payment_plan": plan})
        assert done.status_code == 302
    outcome = service.outcome_of(db.session, call.id)
    assert [(i.due_on.isoformat(), i.amount) for i in plan_of(outcome.id)] == [
        ("2027-01-15", 160000),
        ("2027-02-15", 160000),
        ("2027-03-15", 160000),
    ]
    assert ledger_total(outcome.id) == 0  # cash collected: nothing earned before the money comes in


def test_an_instalment_past_its_due_date_reads_overdue_to_the_business_and_the_closer(app, make_user) -> None:
    deal, outcome, _ids = confirmed_plan(make_user)
    due = plan_of(outcome.id)[0].due_on
    for user, path in ((deal.owner, f"/outcomes/{outcome.id}/instalments"), (deal.closer, "/earnings")):
        client = _logged_in(app, user)
        with frozen_at(datetime.combine(due, time(12), tzinfo=UTC)):  # on the due date: due
            on_time = client.get(path).get_data(as_text=True)
        with frozen_at(datetime.combine(due + timedelta(days=1), time(12), tzinfo=UTC)):
            late = client.get(path).get_data(as_text=True)
        assert "Overdue" not in on_time and "Overdue" in late, path
