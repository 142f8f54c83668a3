"""An endpoint failing for days is disabled and its owner emailed once, in their language; emit reads endpoints once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.webhooks.catalog import CATALOG, VERIFY_SNIPPET
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.delivery import DISABLE_AFTER, deliver_due
from closerhub.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from closerhub.webhooks.service import TEST_EVENT, create_endpoint, emit, set_enabled
from tests.conftest import UserFactory, _logged_in
from tests.integration.webhook_receiver import Receiver, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


def _deliver(at: datetime) -> int:
    with clock.frozen_at(at):
        return deliver_due(db.session, at)


def _emails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "webhook_endpoint_disabled")))


@pytest.mark.parametrize(("language", "subject"), [("en", "Your webhook endpoint was disabled"), ("fr", "désactivé")])
def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_emailed_once(
    app: Flask, make_user: UserFactory, receiver: Receiver, language: str, subject: str
) -> None:
    owner = make_user("business", email="omar@acme.example", language=language)
    endpoint, receiver.secret = create_endpoint(
        db.session, owner.business_id, NewEndpoint(url=receiver.url, events=("lead.created",)), now=clock.utcnow()
    )
    db.session.commit()
    receiver.statuses = [503] * 10
    now = datetime.now(UTC) + timedelta(seconds=1)
    emit(db.session, owner.business_id, "lead.created", {"id": 1}, now=now)
    db.session.commit()
    assert _deliver(now) == 1
    assert _emails() == []  # failing, not yet for days
    endpoint.failing_since = now - DISABLE_AFTER  # it has failed since then (the backoff would take days)
    emit(db.session, owner.business_id, "lead.created", {"id": 2}, now=now)
    db.session.commit()
    assert _deliver(now + timedelta(seconds=10)) == 2
    db.session.expire_all()
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    [email] = _emails()
    assert email.to_address == "omar@acme.example" and email.language == language and subject in email.subject
    assert receiver.url in email.text_body and f"/integrations/{endpoint.id}" in email.text_body
    assert _deliver(now + timedelta(days=1)) == 0  # a disabled endpoint is sent nothing, and not emailed again
    assert len(_emails()) == 1
    page = _logged_in(app, owner).get("/integrations").get_data(as_text=True)
    assert "badge-warn" in page


def test_a_transaction_emitting_several_events_reads_the_endpoints_once(business_user: User) -> None:
    business_id = business_user.business_id
    create_endpoint(
        db.session, business_id, NewEndpoint(url="http://127.0.0.1:9/a", events=("lead.created",)), now=clock.utcnow()
    )
    db.session.commit()
    reads: list[str] = []

    def listener(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM webhook_endpoints" in statement:
            reads.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for n in range(5):
            emit(db.session, business_id, "lead.created", {"id": n}, now=clock.utcnow())
        db.session.commit()
        assert len(reads) == 1
        emit(
            db.session, business_id, "lead.created", {"id": 9}, now=clock.utcnow()
        )  # a new transaction reads them again
        assert len(reads) == 2
        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        set_enabled(endpoint, False)  # a change in this transaction drops the memo
        assert emit(db.session, business_id, "lead.created", {"id": 10}, now=clock.utcnow()) is None
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 6


def test_the_catalog_documents_every_event_type_and_the_docs_page_shows_it(app: Flask) -> None:
    assert [e.type for e in CATALOG] == [*EVENT_TYPES, TEST_EVENT]
    page = app.test_client().get("/api/docs").get_data(as_text=True)
    assert page.count('data-testid="event-example"') == len(CATALOG)
    for doc in CATALOG:
        assert f'id="event-{doc.type}"' in page
    assert "Webhook(&#34;whsec_…&#34;)" in page or 'Webhook("whsec_…")' in page


def test_the_readme_shows_the_catalog_and_the_verification_snippet() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Outbound webhooks") :]
    for doc in CATALOG:
        assert f"| `{doc.type}` |" in section, doc.type
    assert VERIFY_SNIPPET in section
