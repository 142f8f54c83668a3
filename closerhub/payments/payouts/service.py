"""Payout runs: pay every closer's available balance, one Transfer per closer, currency and run, exactly once.

The order of one payout, and why:

1. Under a per-closer-and-currency lock (PostgreSQL: an advisory transaction lock; SQLite:
   the write lock, ``BEGIN IMMEDIATE``) the available balance is read again, a ``Payout``
   row is inserted and the ledger moves the amount available → paid, all in ONE commit.
   The money is reserved before anything leaves, so an overlapping run finds nothing left.
2. The payout is claimed (``pending`` → ``sending``) and committed, then the Transfer is
   sent with the idempotency key ``payout-<id>`` and parameters read from the row alone.
3. The result is committed: ``paid`` with the transfer id; or, when Stripe refused it,
   ``failed`` with the reverse ledger movement (paid → available) and an email.

If the process dies after 2 and before 3 (or Stripe cannot be reached), the payout stays
``sending``; the next run re-sends it with the same key and Stripe answers with the same
transfer, so no second one is made. Without Stripe keys (manual mode) step 1 writes
``manual_pending`` payouts that an admin exports, pays by bank and marks paid.

Who can be paid is decided before step 1, the same way in both modes: a closer whose Stripe
account cannot take payouts (Stripe mode), or who has no usable payout details (manual mode:
none, or sealed with a key no longer configured), is skipped. Nothing is reserved, the
balance stays available, and the closer is told once (a ``cannot_receive`` notice, cleared
when they are paid again).


The steps the concurrency tests widen or remove are plain named functions (``_scan``, the
balance scan; ``_lock_closer``; ``_still_payable``, the re-read under the lock), patched by
the tests: nothing here knows about tests.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.core.errors import Conflict
from closerhub.core.i18n import _
from closerhub.payments.connect.service import account_of, can_receive_payouts
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.balances import available_balance, begin_write, return_to_available
from closerhub.payments.payouts.emails import tell_cannot_receive, tell_payout_failed
from closerhub.payments.payouts.models import (
    IN_FLIGHT,
    NoticeKind,
    Payout,
    PayoutNotice,
    PayoutRun,
    PayoutStatus,
    RunMode,
    RunStatus,
)
from closerhub.payments.stripe.gateway import Gateway, get_gateway
from closerhub.payments.stripe.results import GatewayError, GatewayUnavailable, IdempotencyConflict
from closerhub.platform_settings.service import get_setting

DEFAULT_RETRY_AFTER = timedelta(minutes=10)  # longer than the SDK's retries and timeouts add up to
_LOCK_NAMESPACE = 0x5041  # "PA": keeps our advisory locks apart from any other user of them


@dataclass
class RunReport:
    """What one run did (counts of payouts)."""

    run_id: int
    mode: RunMode
    paid: int = 0
    manual: int = 0
    failed: int = 0
    retrying: int = 0  # sent, result unknown: re-sent by the next run
    skipped: int = 0  # the closer cannot receive payouts yet
    repaired: int = 0  # payouts of earlier runs completed now

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, RunMode) else v) for k, v in self.__dict__.items()}


def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def payout_minimum(session: Session) -> int:
    """The smallest available balance (minor units) a run pays out: the admin's setting, else ``PAYOUT_MINIMUM``."""
    return max(get_setting(session, "payout_minimum"), 1)


def _lock_key(closer_id: int, currency: str) -> int:
    return (_LOCK_NAMESPACE << 48) | ((closer_id & 0xFFFFFFFF) << 16) | (zlib.crc32(currency.encode()) & 0xFFFF)


def _lock_closer(session: Session, closer_id: int, currency: str) -> None:
    """Make the writing transaction the only one that may pay this closer in this currency until it commits.

    The caller began it (:func:`begin_write`; on SQLite that write lock is the whole guard).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(closer_id, currency)})


def _still_payable(session: Session, closer_id: int, currency: str, scanned: int, minimum: int) -> int | None:
    """Under the lock, the amount to pay now (read again, not ``scanned``), or None when nothing is due.

    What an overlapping run reserved is committed and visible now: its money is no longer
    available, or its payout is still in flight.
    """
    amount = available_balance(session, closer_id, currency)
    in_flight = session.scalar(
        select(Payout.id).where(
            Payout.closer_id == closer_id, Payout.currency == currency, Payout.status.in_(IN_FLIGHT)
        )
    )
    return None if amount < minimum or in_flight is not None else amount


def _reserve(
    session: Session, run: PayoutRun, closer_id: int, currency: str, scanned: int, minimum: int, now: datetime
) -> int | None:
    """Insert the payout and move its money available → paid, in one commit. Returns its id, or None."""
    begin_write(session)
    _lock_closer(session, closer_id, currency)
    amount = _still_payable(session, closer_id, currency, scanned, minimum)
    if amount is None:
        session.rollback()
        return None
    stripe = run.mode is RunMode.STRIPE
    account = account_of(session, closer_id) if stripe else None
    payout = Payout(
        run_id=run.id,
        closer_id=closer_id,
        currency=currency,
        amount=amount,
        status=PayoutStatus.PENDING if stripe else PayoutStatus.MANUAL_PENDING,
        destination=account.stripe_account_id if account else None,
        created_at=now,
    )
    session.add(payout)
    session.flush()
    payout.transfer_group = f"payout-{payout.id}"
    ledger.record_payout(session, closer_id, currency, amount, payout.id, now)
    _clear_cannot_receive(session, closer_id)
    payout_id = payout.id
    try:
        session.commit()
    except IntegrityError:  # the one-in-flight index: an overlapping run is paying this closer right now
        session.rollback()
        return None
    return payout_id


def _transfer_params(payout: Payout) -> dict[str, Any]:
    """The Transfer's parameters, from the row alone: a re-send repeats them exactly (same idempotency key)."""
    return {
        "amount": payout.amount,
        "currency": payout.currency,
        "destination": payout.destination or "",
        "idempotency_key": payout.idempotency_key,
        "transfer_group": payout.transfer_group,
        "metadata": {"closerhub_payout_id": payout.id, "closerhub_closer_id": payout.closer_id},
        "description": f"CloserHub payout #{payout.id}",
    }


def _send(session: Session, gateway: Gateway, payout_id: int, now: datetime, *, stale_before: datetime | None) -> str:
    """Claim one payout and send its Transfer. Returns ``paid``, ``failed``, ``retrying`` or ``busy``.

    ``stale_before`` None: a payout this run just reserved (claimed from ``pending``). Otherwise a
    repair: any in-flight payout whose last attempt (or creation) is older than that instant, so a
    payout another run is sending right now is left alone.
    """
    stmt = update(Payout).where(Payout.id == payout_id)
    if stale_before is None:
        stmt = stmt.where(Payout.status == PayoutStatus.PENDING)
    else:
        stmt = stmt.where(
            Payout.status.in_(IN_FLIGHT), func.coalesce(Payout.last_attempt_at, Payout.created_at) <= stale_before
        )
    values = {"status": PayoutStatus.SENDING, "attempts": Payout.attempts + 1, "last_attempt_at": now}
    begin_write(session)
    if session.execute(stmt.values(values).execution_options(synchronize_session=False)).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return "busy"
    payout = session.execute(select(Payout).where(Payout.id == payout_id).execution_options(populate_existing=True))
    params = _transfer_params(payout.scalar_one())
    session.commit()  # the attempt is durable before anything leaves; no transaction stays open during the call
    try:
        transfer = gateway.create_transfer(**params)
    except (GatewayUnavailable, IdempotencyConflict) as exc:
        # Unknown whether Stripe made it (or a bug sent other parameters): stays 'sending', re-sent later.
        begin_write(session)
        session.execute(update(Payout).where(Payout.id == payout_id).values(error=exc.message[:2000]))
        session.commit()
        return "retrying"
    except GatewayError as exc:  # Stripe refused: nothing was sent
        _fail(session, payout_id, exc.message, now)
        return "failed"
    begin_write(session)
    session.execute(
        update(Payout)
        .where(Payout.id == payout_id, Payout.status == PayoutStatus.SENDING)
        .values(status=PayoutStatus.PAID, stripe_transfer_id=transfer.id, paid_at=now, error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return "paid"


def _fail(session: Session, payout_id: int, message: str, now: datetime) -> None:
    """Stripe refused the transfer: mark it failed, give the money back to available, tell the closer. Commits."""
    begin_write(session)  # SQLite: the write lock first; PostgreSQL: the row lock below serialises
    payout = session.execute(
        select(Payout).where(Payout.id == payout_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if payout.status is not PayoutStatus.SENDING:
        session.rollback()
        return
    payout.status = PayoutStatus.FAILED
    payout.error = message[:2000]
    payout.failed_at = now
    return_to_available(session, payout, payout.amount, Memo("payout_failed", {"payout_id": payout.id}), now)
    tell_payout_failed(session, payout, now=now)
    session.commit()


def _clear_cannot_receive(session: Session, closer_id: int) -> None:
    notice = session.scalar(
        select(PayoutNotice).where(PayoutNotice.closer_id == closer_id, PayoutNotice.kind == NoticeKind.CANNOT_RECEIVE)
    )
    if notice is not None:
        session.delete(notice)  # paid again: a later problem is told anew


def _skip_cannot_receive(session: Session, closer_id: int, now: datetime, *, manual: bool) -> None:
    """The closer has money but no account (Stripe) or usable details (manual) for it: tell them once. Commits."""
    begin_write(session)
    _lock_closer(session, closer_id, "")
    told = session.scalar(
        select(PayoutNotice.id).where(
            PayoutNotice.closer_id == closer_id, PayoutNotice.kind == NoticeKind.CANNOT_RECEIVE
        )
    )
    if told is None:
        session.add(PayoutNotice(closer_id=closer_id, kind=NoticeKind.CANNOT_RECEIVE, reference="", created_at=now))
        closer = session.get(User, closer_id)
        if closer is not None:
            tell_cannot_receive(session, closer, manual=manual, now=now)
    try:
        session.commit()
    except IntegrityError:  # an overlapping run told them
        session.rollback()


def _can_be_paid(session: Session, mode: RunMode, closer_id: int, payable: set[int]) -> bool:
    """Stripe mode: the connected account takes payouts. Manual mode: the closer has usable payout details."""
    if mode is RunMode.STRIPE:
        return can_receive_payouts(session, closer_id)
    return closer_id in payable


def repair_stuck(session: Session, gateway: Gateway, now: datetime, *, exclude_run: int | None = None) -> int:
    """Re-send every payout left in flight by an earlier attempt (same key: Stripe answers with the same transfer).

    Returns how many were completed (paid or failed) now.
    """
    retry_after = timedelta(seconds=int(_config("PAYOUTS_RETRY_AFTER_SECONDS", DEFAULT_RETRY_AFTER.total_seconds())))
    stale_before = now - retry_after
    ids = list(
        session.scalars(
            select(Payout.id)
            .where(
                Payout.status.in_(IN_FLIGHT),
                Payout.run_id != (exclude_run or 0),
                func.coalesce(Payout.last_attempt_at, Payout.created_at) <= stale_before,
            )
            .order_by(Payout.id)
        )
    )
    session.commit()
    done = 0
    for payout_id in ids:
        if _send(session, gateway, payout_id, now, stale_before=stale_before) in ("paid", "failed"):
            done += 1
    return done


def _scan(session: Session, minimum: int) -> list[tuple[int, str, int]]:
    """The (closer, currency, available) balances reaching ``minimum``, read once; the read transaction ends.

    Only a list of whom to look at: each amount is read again under the closer's lock (``_still_payable``).
    """
    candidates = [(b.closer_id, b.currency, b.available) for b in ledger.balances(session) if b.available >= minimum]
    session.commit()
    return candidates


def run_payouts(
    session: Session,
    now: datetime,
    *,
    triggered_by: str | User,
    scheduled_for: date | None = None,
    gateway: Gateway | None = None,
    read_clock: Callable[[], datetime] | None = None,
) -> RunReport:
    """Pay every closer × currency whose available balance reaches the minimum. Commits (per payout).

    ``triggered_by``: ``"worker"``, ``"cli"`` or the admin who clicked. Closers who cannot be paid
    are skipped (and told once): in Stripe mode their account cannot receive payouts, in manual mode
    they have no usable payout details. Manual payouts are recorded as ``manual_pending``.
    ``scheduled_for``: the worker's day (a second run that day is a Conflict). ``read_clock``: see the finish.
    """
    gateway = gateway or get_gateway()
    mode = RunMode.STRIPE if gateway.is_configured() else RunMode.MANUAL
    minimum = payout_minimum(session)
    begin_write(session)
    run = PayoutRun(
        started_at=now,
        status=RunStatus.RUNNING,
        mode=mode,
        triggered_by="admin" if isinstance(triggered_by, User) else str(triggered_by)[:20],
        triggered_by_id=triggered_by.id if isinstance(triggered_by, User) else None,
        scheduled_for=scheduled_for,
    )
    session.add(run)
    if isinstance(triggered_by, User):
        record(session, actor=triggered_by, action="payouts.run_started", obj=run, after={"mode": mode.value}, now=now)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(_("The payout run of this day has already started.")) from exc
    report = RunReport(run.id, mode)
    if mode is RunMode.STRIPE:
        report.repaired = repair_stuck(session, gateway, now, exclude_run=run.id)

    candidates = _scan(session, minimum)
    payable: set[int] = set()
    if mode is RunMode.MANUAL:  # one query for everyone: a bank file can pay only these closers
        payable = payout_details.usable_closer_ids(session, sorted({c[0] for c in candidates}))
        session.commit()
    for closer_id, currency, scanned in candidates:
        if not _can_be_paid(session, mode, closer_id, payable):
            _skip_cannot_receive(session, closer_id, now, manual=mode is RunMode.MANUAL)
            report.skipped += 1
            continue
        payout_id = _reserve(session, run, closer_id, currency, scanned, minimum, now)
        if payout_id is None:
            continue
        if mode is RunMode.MANUAL:
            report.manual += 1
            continue
        result = _send(session, gateway, payout_id, now, stale_before=None)
        if result == "paid":
            report.paid += 1
        elif result == "failed":
            report.failed += 1
        elif result == "retrying":
            report.retrying += 1

    # The run ends after its transfers were sent, which takes real time, so its finish is not ``now``.
    # The service never reads the clock (README, "The clock rule"): the entry point that started the run
    # hands over its clock (``clock.utcnow``) as ``read_clock``, read once here; without one it ends at ``now``.
    finished_at = max(now, read_clock()) if read_clock is not None else now
    begin_write(session)
    session.execute(
        update(PayoutRun).where(PayoutRun.id == run.id).values(status=RunStatus.FINISHED, finished_at=finished_at)
    )
    session.commit()
    return report


def run_weekly_if_due(
    session: Session, now: datetime, *, read_clock: Callable[[], datetime] | None = None
) -> RunReport | None:
    """The worker's job: run once on the configured weekday (UTC); any other call does nothing."""
    if now.weekday() != get_setting(session, "payout_weekday"):
        return None
    day = now.date()
    if session.scalar(select(PayoutRun.id).where(PayoutRun.scheduled_for == day)) is not None:
        session.rollback()
        return None
    try:
        return run_payouts(session, now, triggered_by="worker", scheduled_for=day, read_clock=read_clock)
    except Conflict:
        return None  # another worker claimed the day
