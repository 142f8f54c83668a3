"""An owner adds a webhook endpoint in a real Chromium, sends a test event, sees it in the log and retries it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.webhooks.delivery import deliver_due
from tests.conftest import PASSWORD
from tests.integration.webhook_receiver import Receiver, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


def _run_worker() -> int:
    db.session.remove()  # a fresh transaction sees what the browser's requests committed
    now = datetime.now(UTC) + timedelta(seconds=1)  # the receiver checks the timestamp against the real time
    with clock.frozen_at(now):
        sent = deliver_due(db.session, now)
    db.session.remove()
    return sent


def test_an_owner_adds_an_endpoint_sends_a_test_event_sees_it_in_the_log_and_retries_it(
    page: Any, live_server: Any, business_user: User, receiver: Receiver
) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(business_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    page.goto(f"/businesses/{business_user.business_id}")
    page.get_by_test_id("integrations-link").click()
    page.wait_for_url("**/integrations")

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.locator('input[value="lead.created"]').check()
    page.get_by_label("Description").fill("Our CRM")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the endpoint").click()
    receiver.secret = page.get_by_test_id("webhook-secret").input_value()
    assert receiver.secret.startswith("whsec_")
    page.get_by_role("link", name="Delivery log").click()
    page.wait_for_url("**/integrations/*")

    with page.expect_navigation():
        page.get_by_test_id("send-test").click()
    assert "Test event queued" in page.content()
    assert _run_worker() == 1
    page.reload()
    assert page.get_by_test_id("delivery-row").count() == 1
    assert "webhook.test" in page.get_by_test_id("delivery-row").inner_text()
    assert page.get_by_test_id("attempt").count() == 1 and "200" in page.get_by_test_id("attempt").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("retry").click()
    assert "Delivery queued again" in page.content()
    assert _run_worker() == 1
    page.reload()
    assert page.get_by_test_id("attempt").count() == 2
    first, second = receiver.received
    assert first.verified is not None and second.verified is not None
    assert first.verified["type"] == "webhook.test"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert page.js_errors == []
