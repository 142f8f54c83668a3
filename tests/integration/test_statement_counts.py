"""Every list page and API list runs as many SQL statements for 200 rows as for 1 (no query per row).

Each case seeds one row of what the page lists, counts the statements of one request, seeds
199 more (bulk inserts through the models: the services' rules are not under test here),
counts again and wants the same number. A difference is a lazy load per row (N+1); the
failure message lists the statements of the 200-row request so the repeated one shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.extensions import db
from tests.conftest import PASSWORD, AuthActions, UserFactory
from tests.factories_booking import make_world
from tests.fixtures.statements import StatementCounter
from tests.integration.statement_seeds import (
    BEFORE,
    NOW,
    Scene,
    seed_calls,
    seed_calls_of_one_lead,
    seed_charges,
    seed_failed_charges,
    seed_ledger,
    seed_manual_charges,
    seed_outcomes,
    seed_payouts,
    seed_reviews,
    seed_run_payouts,
    seed_spread_calls,
    seed_spread_manual_charges,
    seed_spread_outcomes,
)
from tests.integration.statement_seeds_cash import seed_cash_deals, seed_long_plan, seed_miss_disputes
from tests.integration.statement_seeds_more import (
    seed_audit,
    seed_closers,
    seed_engagements,
    seed_members,
    seed_no_show_reports,
    seed_outbox,
    seed_sms,
    seed_tokens,
    seed_users,
)
from tests.integration.statement_seeds_webhooks import seed_webhook_deliveries, seed_webhook_endpoints


@pytest.fixture
def scene(app: Flask, make_user: UserFactory) -> Iterator[Scene]:
    with clock.frozen_at(NOW):
        world = make_world(make_user, closer_zone="UTC", owner_zone="UTC")
        admin = make_user("admin", email="admin@example.com")
        users = {"closer": world.closer, "business": world.owner, "admin": admin}
        web = {}
        for role, user in users.items():
            web[role] = app.test_client()
            assert AuthActions(web[role]).login(user.email, PASSWORD).status_code == 302
        api = {role: {"Authorization": f"Bearer {_token(user)}"} for role, user in users.items()}
        yield Scene(world, admin, web, api)


def _token(user: User) -> str:
    return tokens.create_token(db.session, user, "statements", NOW)[1]


@dataclass(frozen=True)
class Case:
    """One list: who asks (``role``; web page or API), what it lists (``seed``), where."""

    role: str
    path: str
    seed: Callable[[Scene, int, int], Any]
    api: bool = False
    now: datetime = NOW  # BEFORE for lists of upcoming calls

    def request(self, s: Scene) -> Any:
        path = self.path.format(business_id=s.world.business.id, closer_id=s.world.closer.id)
        if self.api:
            return s.web[self.role].get(path, headers=s.api[self.role])
        return s.web[self.role].get(path)


CASES = {
    # the closer's week and the call lists of every role
    "closer week schedule": Case("closer", "/schedule?week=2026-12-07", seed_calls),
    "closer appointments page": Case("closer", "/appointments", seed_calls, now=BEFORE),
    "business appointments page": Case("business", "/appointments", seed_calls, now=BEFORE),
    "admin appointments page": Case("admin", "/appointments", seed_calls, now=BEFORE),
    "closer appointments API": Case("closer", "/api/v1/appointments", seed_calls, api=True),
    "business appointments API": Case("business", "/api/v1/appointments", seed_calls, api=True),
    "admin appointments API": Case("admin", "/api/v1/appointments", seed_calls, api=True),
    "admin appointments page, many businesses": Case("admin", "/appointments", seed_spread_calls, now=BEFORE),
    "admin appointments API, many businesses": Case("admin", "/api/v1/appointments", seed_spread_calls, api=True),
    "admin engagements page, many businesses": Case("admin", "/engagements?status=all", seed_spread_calls),
    "admin engagements API, many businesses": Case("admin", "/api/v1/engagements", seed_spread_calls, api=True),
    "dashboard of the closer": Case("closer", "/dashboard", seed_calls, now=BEFORE),
    "dashboard of the business": Case("business", "/dashboard", seed_calls, now=BEFORE),
    "dashboard of the closer with engagements": Case("closer", "/dashboard", seed_engagements),
    "dashboard of the business with engagements": Case("business", "/dashboard", seed_engagements),
    # leads
    "business leads page": Case("business", "/leads", seed_calls),
    "business lead page with its calls": Case("business", "/leads/1", seed_calls_of_one_lead),
    "business closer profile with reviews": Case("business", "/closers/{closer_id}", seed_reviews),
    "business leads API": Case("business", "/api/v1/leads", seed_calls, api=True),
    # the team
    "business team page": Case("business", "/businesses/{business_id}", seed_members),
    "business members API": Case("business", "/api/v1/businesses/me/members", seed_members, api=True),
    # engagements and offers
    "closer engagements page": Case("closer", "/engagements", seed_engagements),
    "business engagements page": Case("business", "/engagements", seed_engagements),
    "closer engagements API": Case("closer", "/api/v1/engagements", seed_engagements, api=True),
    "business engagements API": Case("business", "/api/v1/engagements", seed_engagements, api=True),
    "business offers page": Case("business", "/offers", seed_engagements),
    "business offers API": Case("business", "/api/v1/offers", seed_engagements, api=True),
    # outcomes and money
    "business outcomes page": Case("business", "/outcomes/pending", seed_outcomes),
    "admin disputes desk": Case("admin", "/admin/disputes", seed_outcomes),
    "admin disputes desk, many businesses": Case("admin", "/admin/disputes", seed_spread_outcomes),
    "admin money desk, many businesses": Case("admin", "/admin/money", seed_spread_manual_charges),
    "closer earnings": Case("closer", "/earnings", seed_ledger),
    "closer ledger API": Case("closer", "/api/v1/ledger", seed_ledger, api=True),
    "business charges page": Case("business", "/billing/charges", seed_charges),
    "business charges API": Case("business", "/api/v1/charges", seed_charges, api=True),
    "admin money desk, bank transfers due": Case("admin", "/admin/money", seed_manual_charges),
    "admin money desk, failed charges": Case("admin", "/admin/money", seed_failed_charges),
    "business charges page, bank transfers due": Case("business", "/billing/charges", seed_manual_charges),
    "admin payouts page": Case("admin", "/admin/payouts", seed_payouts),
    "admin payout run page": Case("admin", "/admin/payouts/runs/1", seed_run_payouts),
    "closer payouts API": Case("closer", "/api/v1/payouts", seed_payouts, api=True),
    "admin payouts API": Case("admin", "/api/v1/payouts", seed_payouts, api=True),
    "closer earnings with payouts": Case("closer", "/earnings", seed_payouts),
    "closer reviews page": Case("closer", "/reviews", seed_reviews),
    # commission on cash collected
    "closer earnings with cash deals": Case("closer", "/earnings", seed_cash_deals),
    "business payment plan page": Case("business", "/outcomes/1/instalments", seed_long_plan),
    "closer instalments API": Case("closer", "/api/v1/outcomes/1/instalments", seed_long_plan, api=True),
    "admin disputes desk with missed instalments": Case("admin", "/admin/disputes", seed_miss_disputes),
    # admin
    "admin users": Case("admin", "/admin/users", seed_users),
    "admin vetting queue": Case("admin", "/admin/vetting", seed_users),
    "admin closer no-show reports": Case("admin", "/admin/no-shows", seed_no_show_reports),
    "business closer search page": Case("business", "/closers?language=fr", seed_closers),
    "business closer search API": Case("business", "/api/v1/closers?language=fr", seed_closers, api=True),
    "admin closer search API": Case("admin", "/api/v1/closers", seed_closers, api=True),
    "admin audit trail": Case("admin", "/admin/audit", seed_audit),
    "admin audit trail by actor": Case("admin", "/admin/audit?actor=ada", seed_audit),
    "admin outbox": Case("admin", "/admin/outbox", seed_outbox),
    "admin SMS outbox": Case("admin", "/admin/outbox/sms", seed_sms),
    "closer tokens API": Case("closer", "/api/v1/tokens", seed_tokens, api=True),
    "business tokens API": Case("business", "/api/v1/tokens", seed_tokens, api=True),
    # webhooks
    "business integrations page": Case("business", "/integrations", seed_webhook_endpoints),
    "business webhook delivery log": Case("business", "/integrations/1", seed_webhook_deliveries),
    "business webhooks API": Case("business", "/api/v1/webhooks", seed_webhook_endpoints, api=True),
    "business webhook deliveries API": Case(
        "business", "/api/v1/webhooks/1/deliveries", seed_webhook_deliveries, api=True
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_list_runs_as_many_statements_for_200_rows_as_for_1(
    name: str, scene: Scene, count_statements: StatementCounter
) -> None:
    case = CASES[name]
    with clock.frozen_at(case.now):
        case.seed(scene, 0, 1)
        case.request(scene)  # a first request may do one-off bookkeeping (a token's last use)
        small, one = count_statements(lambda: case.request(scene))
        assert small.status_code == 200, small.get_data(as_text=True)[:500]
        case.seed(scene, 1, 199)
        large, many = count_statements(lambda: case.request(scene))
        assert large.status_code == 200, large.get_data(as_text=True)[:500]
    # The page really lists the new rows (a filter that hid them would make the count trivially equal).
    assert len(large.get_data()) > len(small.get_data()) + 500, f"{name}: the 200 rows are not listed"
    assert many == one, f"{name}: {one} statements for 1 row, {many} for 200:\n{count_statements.report()}"
