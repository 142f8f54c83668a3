"""Reading payouts, and the manual-mode batch: export it as CSV, mark it paid once the bank transfers are done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.core.errors import Conflict, NotFound, PermissionDenied
from closerhub.core.i18n import _
from closerhub.payments.ledger import service as ledger
from closerhub.payments.payouts.details import usable_closer_ids
from closerhub.payments.payouts.models import IN_FLIGHT, NoticeKind, Payout, PayoutNotice, PayoutRun, PayoutStatus


def payouts_query(viewer: User, *, closer_id: int | None = None, status: str | None = None) -> Select[tuple[Payout]]:
    """Payouts ``viewer`` may see (a closer: their own; an admin: anyone's, optionally one closer's)."""
    if not (viewer.is_admin or viewer.is_closer):
        raise PermissionDenied(_("Only closers and admins have payouts."))
    stmt = select(Payout)
    if viewer.is_closer:
        if closer_id is not None and closer_id != viewer.id:
            raise PermissionDenied(_("Closers can only read their own payouts."))
        closer_id = viewer.id
    if closer_id is not None:
        stmt = stmt.where(Payout.closer_id == closer_id)
    if status is not None:
        stmt = stmt.where(Payout.status == PayoutStatus(status))
    return stmt


def get_run(session: Session, run_id: int) -> PayoutRun:
    """A run by id (admins only reach this), or NotFound."""
    run = session.get(PayoutRun, run_id) if isinstance(run_id, int) and 0 < run_id < 2**31 else None
    if run is None:
        raise NotFound(_("No such payout run."))
    return run


@dataclass(frozen=True)
class RunSummary:
    run: PayoutRun
    counts: dict[str, int]
    totals: dict[str, int]  # currency → amount of the run's payouts


def recent_runs(session: Session, limit: int = 50) -> list[RunSummary]:
    """The latest runs, newest first, with payout counts per status and totals per currency (two queries)."""
    runs = list(session.scalars(select(PayoutRun).order_by(PayoutRun.id.desc()).limit(limit)))
    ids = [r.id for r in runs]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    totals: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        rows = session.execute(
            select(Payout.run_id, Payout.status, Payout.currency, func.count(), func.sum(Payout.amount))
            .where(Payout.run_id.in_(ids))
            .group_by(Payout.run_id, Payout.status, Payout.currency)
        )
        for run_id, status, currency, n, total in rows:
            counts[run_id][status.value] = counts[run_id].get(status.value, 0) + int(n)
            totals[run_id][currency] = totals[run_id].get(currency, 0) + int(total or 0)
    return [RunSummary(r, counts[r.id], totals[r.id]) for r in runs]


def needing_attention(session: Session, limit: int = 100) -> list[Payout]:
    """Failed payouts and payouts still in flight (a re-send is due), newest first."""
    stmt = select(Payout).where(Payout.status.in_((PayoutStatus.FAILED, *IN_FLIGHT))).order_by(Payout.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def bank_failures(session: Session, closer_id: int | None = None, limit: int = 50) -> list[PayoutNotice]:
    """``payout.failed`` records (a closer's bank refused Stripe's payout), newest first."""
    stmt = select(PayoutNotice).where(PayoutNotice.kind == NoticeKind.BANK_PAYOUT_FAILED)
    if closer_id is not None:
        stmt = stmt.where(PayoutNotice.closer_id == closer_id)
    return list(session.scalars(stmt.order_by(PayoutNotice.id.desc()).limit(limit)))


def waiting_for_details(session: Session, minimum: int) -> list[tuple[User, ledger.Balance]]:
    """Closers a manual run skips: an available balance at the minimum but no usable payout details.

    Three queries whatever their number (balances, details, users).
    """
    due = [b for b in ledger.balances(session) if b.available >= minimum]
    usable = usable_closer_ids(session, sorted({b.closer_id for b in due}))
    waiting = [b for b in due if b.closer_id not in usable]
    if not waiting:
        return []
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({b.closer_id for b in waiting})))}
    return [(users[b.closer_id], b) for b in waiting if b.closer_id in users]


def markable(session: Session, run: PayoutRun) -> list[Payout]:
    """The run's ``manual_pending`` payouts the bank files pay: their closer has usable payout details.

    A payout whose details became unusable after the run (removed key) is blocked in the files,
    so it cannot be marked paid until they are usable again.
    """
    pending = [p for p in run.payouts if p.status is PayoutStatus.MANUAL_PENDING]
    usable = usable_closer_ids(session, sorted({p.closer_id for p in pending}))
    return [p for p in pending if p.closer_id in usable]


def mark_batch_paid(session: Session, actor: User, run_id: int, now: datetime) -> int:
    """An admin paid the run's manual batch by bank: its ``manual_pending`` payouts in the files become ``manual_paid``.

    Only payouts that were in the bank files (``markable``) change. Audited; commits once;
    returns how many payouts changed. Conflict when nothing is left to mark.
    """
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins mark payout batches paid."))
    run = get_run(session, run_id)
    pending = markable(session, run)
    if not pending:
        raise Conflict(_("This batch has nothing left to mark paid."))
    changed = session.execute(
        update(Payout)
        .where(Payout.id.in_([p.id for p in pending]), Payout.status == PayoutStatus.MANUAL_PENDING)
        .values(status=PayoutStatus.MANUAL_PAID, paid_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:  # another admin marked it in the meantime
        session.rollback()
        raise Conflict(_("This batch has nothing left to mark paid."))
    run.marked_paid_at = now
    run.marked_paid_by_id = actor.id
    totals: dict[str, int] = {}
    for p in pending:
        totals[p.currency] = totals.get(p.currency, 0) + p.amount
    record(
        session,
        actor=actor,
        action="payouts.batch_marked_paid",
        obj=run,
        before={"manual_pending": changed},
        after={"manual_paid": changed, "totals": totals, "payout_ids": [p.id for p in pending]},
        now=now,
    )
    session.commit()
    return int(changed)
