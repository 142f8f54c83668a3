"""Helpers of the payout tests: Stripe mode against the Connect fake, closers onboarded on it, balances, emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.payments.connect.service import account_of, refresh_account, start_onboarding
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.models import Payout
from closerhub.payments.stripe.gateway import get_gateway
from tests.fakes.servers import stripe_settings
from tests.fakes.stripe_connect import FakeStripeConnect

RUN_AT = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # a Monday (the default payout weekday)
LATER = RUN_AT + timedelta(hours=1)  # past the re-send delay of an interrupted payout


@pytest.fixture
def stripe(app: Flask, connect_fake: FakeStripeConnect) -> FakeStripeConnect:
    """Stripe mode against the Connect fake (real SDK, real HTTP)."""
    app.config.update(stripe_settings(connect_fake.url, STRIPE_MAX_NETWORK_RETRIES=1, STRIPE_TIMEOUT_SECONDS=3))
    return connect_fake


def onboard(fake: FakeStripeConnect, closer: User) -> str:
    """The closer's Express account on the fake, onboarding completed: payouts enabled. Returns its id."""
    start_onboarding(
        db.session,
        get_gateway(),
        closer,
        refresh_url="https://closerhub.test/r",
        return_url="https://closerhub.test/ret",
        now=RUN_AT - timedelta(days=30),
    )
    row = account_of(db.session, closer.id)
    assert row is not None and row.stripe_account_id
    fake.complete_onboarding(row.stripe_account_id)
    refresh_account(db.session, get_gateway(), closer, RUN_AT - timedelta(days=29))
    return row.stripe_account_id


def give_payout_details(closer: User) -> None:
    """Usable payout details (a German IBAN): a manual run pays only closers who have them."""
    payout_details.save(
        db.session,
        closer,
        BankDetails(scheme="iban", holder="Test Payee", iban="DE89370400440532013000", bic="COBADEFFXXX"),
        RUN_AT - timedelta(days=2),
    )


def give_available(closer: User, amount: int, currency: str = "EUR") -> None:
    """Money released to the closer's available balance (as the clawback-hold release would)."""
    db.session.add(
        LedgerEntry(
            closer_id=closer.id,
            currency=currency,
            bucket=Bucket.AVAILABLE,
            amount=amount,
            kind=EntryKind.RELEASED,
            memo="released (test)",
            created_at=RUN_AT - timedelta(days=1),
        )
    )
    db.session.commit()


def balance(closer: User, currency: str = "EUR") -> tuple[int, int, int]:
    """(pending, available, paid) of the closer in ``currency``."""
    db.session.rollback()
    for b in ledger.balances(db.session, closer.id):
        if b.currency == currency:
            return b.pending, b.available, b.paid
    return 0, 0, 0


def payouts(closer: User | None = None) -> list[Payout]:
    db.session.rollback()
    stmt = select(Payout).order_by(Payout.id)
    if closer is not None:
        stmt = stmt.where(Payout.closer_id == closer.id)
    return list(db.session.scalars(stmt))


def emails(to: str, template: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == to, OutboxMessage.template == template)
        )
    )


def transfers_made(fake: FakeStripeConnect) -> list[Any]:
    """Transfer creations that had an effect on the fake (replays and refusals excluded)."""
    return fake.created("POST", "/v1/transfers")


def count(model: Any) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)
