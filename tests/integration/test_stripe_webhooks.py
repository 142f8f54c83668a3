"""POST /stripe/webhook: real payloads signed with Stripe's scheme, stored once, processed once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from closerhub import clock
from closerhub.extensions import db as _db
from closerhub.payments.stripe.gateway import sign_webhook_payload
from closerhub.payments.stripe.models import ConnectAccount, StripeEvent
from closerhub.payments.stripe.webhooks import handles, retry_failed
from tests.fakes.servers import TEST_WEBHOOK_SECRET
from tests.fakes.stripe_connect import FIXTURES, FakeStripeConnect

ACCOUNT_ID = "acct_closer_test_1"


@pytest.fixture
def signer(app: Flask) -> FakeStripeConnect:
    """Builds Stripe-shaped events (from the published fixtures), signed with the test secret."""
    if not FIXTURES.exists():
        pytest.fail(f"Stripe's fixtures are missing at {FIXTURES}")
    app.config["STRIPE_WEBHOOK_SECRET"] = TEST_WEBHOOK_SECRET
    return FakeStripeConnect()  # not started: only its event builder is used


@pytest.fixture
def connect_row(db: Any, closer: Any) -> ConnectAccount:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = ConnectAccount(
        closer_id=closer.id,
        stripe_account_id=ACCOUNT_ID,
        requirements_due=["external_account"],
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    db.session.commit()
    return row


def account_obj(signer: FakeStripeConnect, *, payouts: bool, due: list[str] | None = None) -> dict[str, Any]:
    acct = dict(signer.state.fixtures["account"])
    acct.update(
        id=ACCOUNT_ID, type="express", payouts_enabled=payouts, charges_enabled=payouts, details_submitted=payouts
    )
    acct["requirements"] = {
        **acct["requirements"],
        "currently_due": due or [],
        "disabled_reason": None if payouts else "requirements.past_due",
    }
    return acct


def post(client: FlaskClient, body: str, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/stripe/webhook", data=body, headers=headers)


def count_events(db: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def test_a_signed_account_updated_event_syncs_the_closers_account(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, connect_row: ConnectAccount
) -> None:
    body, sig = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    response = post(client, body, sig)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["result"] == "processed"
    db.session.refresh(connect_row)
    assert connect_row.payouts_enabled and connect_row.charges_enabled and connect_row.requirements_due == []
    event = db.session.scalars(select(StripeEvent)).one()
    assert event.type == "account.updated" and event.processed_at is not None and not event.ignored
    assert event.payload["data"]["object"]["id"] == ACCOUNT_ID


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=deadbeef",
        "garbage",
        sign_webhook_payload("{}", TEST_WEBHOOK_SECRET),  # a valid signature of another body
        sign_webhook_payload("x", "whsec_someone_else"),
    ],
    ids=["missing", "wrong", "unparseable", "other-body", "other-secret"],
)
def test_a_bad_signature_is_refused_with_400_and_nothing_is_stored(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, connect_row: ConnectAccount, signature: str | None
) -> None:
    body, _ = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    response = post(client, body, signature)
    assert response.status_code == 400
    assert response.get_json()["code"] == "webhook_signature_invalid"
    assert count_events(db) == 0
    db.session.refresh(connect_row)
    assert not connect_row.payouts_enabled


def test_an_event_signed_too_long_ago_is_refused(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, connect_row: ConnectAccount
) -> None:
    body, _ = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    old = sign_webhook_payload(body, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    assert post(client, body, old).status_code == 400
    assert count_events(db) == 0


def test_a_correctly_signed_body_that_is_not_an_event_is_refused(client: FlaskClient, db: Any, signer: Any) -> None:
    for body in ("not json", '{"id": "evt_1"}', "[]"):
        response = post(client, body, sign_webhook_payload(body, TEST_WEBHOOK_SECRET))
        assert response.status_code == 400, body
    not_utf8 = client.post("/stripe/webhook", data=b"\xff\xfe{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert not_utf8.status_code == 400
    assert count_events(db) == 0


def test_without_a_webhook_secret_every_delivery_is_refused(
    client: FlaskClient, app: Flask, db: Any, signer: Any
) -> None:
    body, sig = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    assert post(client, body, sig).status_code == 400
    assert count_events(db) == 0


def test_a_replayed_event_answers_200_and_changes_nothing(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, connect_row: ConnectAccount
) -> None:
    body, sig = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    assert post(client, body, sig).get_json()["result"] == "processed"
    # Someone (an admin, a later event) changes the row; the replay must not undo it.
    connect_row.payouts_enabled = False
    db.session.commit()
    again = post(client, body, sign_webhook_payload(body, TEST_WEBHOOK_SECRET))
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    db.session.refresh(connect_row)
    assert connect_row.payouts_enabled is False
    assert count_events(db) == 1
    assert db.session.scalars(select(StripeEvent)).one().attempts == 1


def test_an_unknown_event_type_is_stored_and_ignored(client: FlaskClient, db: Any, signer: FakeStripeConnect) -> None:
    body, sig = signer.signed_event("plan.created", signer.state.fixtures["plan"], TEST_WEBHOOK_SECRET)
    response = post(client, body, sig)
    assert response.status_code == 200 and response.get_json()["result"] == "ignored"
    event = db.session.scalars(select(StripeEvent)).one()
    assert event.type == "plan.created" and event.ignored and event.processed_at is not None


def test_an_older_account_updated_arriving_late_does_not_overwrite_a_newer_one(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, connect_row: ConnectAccount
) -> None:
    t = int(time.time())
    newer, newer_sig = signer.signed_event(
        "account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET, created=t
    )
    older, older_sig = signer.signed_event(
        "account.updated",
        account_obj(signer, payouts=False, due=["external_account"]),
        TEST_WEBHOOK_SECRET,
        created=t - 60,
    )
    assert post(client, newer, newer_sig).status_code == 200
    assert post(client, older, older_sig).status_code == 200
    db.session.refresh(connect_row)
    assert connect_row.payouts_enabled and connect_row.requirements_due == []
    assert connect_row.updated_from_event_at == datetime.fromtimestamp(t, tz=UTC)
    assert count_events(db) == 2  # both stored, both processed; the older one changed nothing


def test_an_account_updated_for_an_account_that_is_not_ours_is_processed_without_effect(
    client: FlaskClient, db: Any, signer: FakeStripeConnect
) -> None:
    body, sig = signer.signed_event("account.updated", account_obj(signer, payouts=True), TEST_WEBHOOK_SECRET)
    assert post(client, body, sig).get_json()["result"] == "processed"
    assert db.session.scalar(select(func.count()).select_from(ConnectAccount)) == 0


_failures = {"left": 0}
_calls: list[str] = []


@handles("test.flaky")
def _flaky(session: Any, event: Any, now: Any) -> None:
    _calls.append(event.id)
    if _failures["left"] > 0:
        _failures["left"] -= 1
        raise RuntimeError("downstream trouble")


_arrived: list[int] = []  # deliveries of the concurrency test that have started


def _duplicates_wait() -> bool:
    """The other two deliveries are queued behind this one's uncommitted insert.

    PostgreSQL: both are blocked on the unique index (seen in ``pg_locks``). SQLite: both have
    started, and the write lock this delivery holds makes them wait whatever their timing.
    """
    if len(_arrived) < 3:
        return False
    if _db.engine.dialect.name != "postgresql":
        return True
    with _db.engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")) or 0) >= 2


@handles("test.slow")
def _slow(session: Any, event: Any, now: Any) -> None:
    _calls.append(event.id)
    deadline = time.monotonic() + 30  # only a bound for a broken run: the duplicates decide
    while not _duplicates_wait():  # process only once the duplicates arrived meanwhile
        assert time.monotonic() < deadline, "the concurrent duplicates never came"
        time.sleep(0.005)


def test_a_failing_handler_rolls_back_keeps_the_event_and_a_retry_processes_it_once(
    client: FlaskClient, db: Any, signer: FakeStripeConnect
) -> None:
    _failures["left"], _calls[:] = 1, []
    body, sig = signer.signed_event("test.flaky", {"id": "obj_1", "object": "thing"}, TEST_WEBHOOK_SECRET)
    first = post(client, body, sig)
    assert first.status_code == 500
    event = db.session.scalars(select(StripeEvent)).one()
    assert event.processed_at is None and "downstream trouble" in (event.error or "")
    second = post(client, body, sig)  # Stripe retries
    assert second.status_code == 200 and second.get_json()["result"] == "processed"
    third = post(client, body, sig)
    assert third.get_json()["result"] == "duplicate"
    assert len(_calls) == 2  # one failed attempt, one success, no third run
    db.session.expire_all()
    event = db.session.scalars(select(StripeEvent)).one()
    assert event.processed_at is not None and event.error is None


def test_concurrent_deliveries_of_one_event_process_it_exactly_once(
    app: Flask, db: Any, signer: FakeStripeConnect
) -> None:
    _calls[:], _arrived[:] = [], []
    body, sig = signer.signed_event("test.slow", {"id": "obj_2", "object": "thing"}, TEST_WEBHOOK_SECRET)
    results: list[tuple[int, str]] = []
    start = threading.Barrier(3)

    def deliver() -> None:
        c = FlaskClient(app, app.response_class)
        start.wait()
        _arrived.append(1)
        r = c.post("/stripe/webhook", data=body, headers={"Stripe-Signature": sig, "Content-Type": "application/json"})
        results.append((r.status_code, (r.get_json() or {}).get("result", "")))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [(200, "duplicate"), (200, "duplicate"), (200, "processed")]
    assert len(_calls) == 1
    assert count_events(db) == 1


def test_a_stored_event_whose_handler_failed_is_applied_by_the_retry_sweep(
    client: FlaskClient, db: Any, signer: FakeStripeConnect
) -> None:
    _failures["left"], _calls[:] = 1, []
    body, sig = signer.signed_event("test.flaky", {"id": "obj_3", "object": "thing"}, TEST_WEBHOOK_SECRET)
    assert post(client, body, sig).status_code == 500
    assert retry_failed(db.session, clock.utcnow()) == 1
    assert retry_failed(db.session, clock.utcnow()) == 0  # nothing left: never twice
    db.session.expire_all()
    assert db.session.scalars(select(StripeEvent)).one().processed_at is not None
    assert len(_calls) == 2


def test_stripe_needs_no_csrf_token_even_with_csrf_protection_on(
    client: FlaskClient, db: Any, signer: FakeStripeConnect, csrf_enabled: None
) -> None:
    body, sig = signer.signed_event("plan.created", signer.state.fixtures["plan"], TEST_WEBHOOK_SECRET)
    assert post(client, body, sig).status_code == 200
    assert count_events(db) == 1
