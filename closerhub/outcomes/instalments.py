"""Instalment use cases: the payment plan of a won deal, and the business recording what it collected.

A won outcome's plan is set when it is recorded (or corrected, or adjusted by an admin): the
given instalments, which must sum to the deal value, or one instalment of the whole value due
on the call's date. Once the outcome is confirmed (or resolved) the business marks each
instalment collected (with a date), missed, or refunded (in part or in full). On a
cash-collected engagement a collection accrues commission and bills the business, a refund
takes it back (``payments.instalment_money``); on a contract-value engagement the money was
settled at confirmation, and the instalments only track the cash.

Each function checks visibility (404), role (403), state (409), input (422), in that order,
changes nothing on an error, and commits once (a Stripe charge commits before its call).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from closerhub import events
from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.audit.service import record as audit
from closerhub.booking.guard import take_write_lock
from closerhub.core.commission import accrue, check_plan
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.money import Money
from closerhub.core.text import clean_text
from closerhub.notifications.service import public_url, queue_email
from closerhub.outcomes.commands import PlannedInstalment
from closerhub.outcomes.events import InstalmentCollected, InstalmentRefunded
from closerhub.outcomes.models import SETTLED_STATUSES, Outcome, OutcomeResult
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus
from closerhub.webhooks.service import emit

PLAN_MAX = 60  # five years of monthly payments
REASON_MAX = 2000


_CANNOT = {
    "collect": N_("Only a due or missed instalment can be marked collected."),
    "miss": N_("Only a due instalment can be marked missed."),
    "refund": N_("Only a collected instalment can be refunded."),
}


def instalments_of(session: Session, outcome_id: int) -> list[Instalment]:
    """An outcome's plan, in order."""
    return list(
        session.scalars(select(Instalment).where(Instalment.outcome_id == outcome_id).order_by(Instalment.position))
    )


def find_instalment(session: Session, instalment_id: int, viewer: User | None) -> Instalment:
    """An instalment ``viewer`` may see (its outcome's closer, business, admins); NotFound otherwise."""
    return find_visible(Instalment, instalment_id, viewer, session)


def set_plan(session: Session, outcome: Outcome, plan: Sequence[PlannedInstalment] | None, now: datetime) -> None:
    """Replace a won outcome's instalments by ``plan`` (checked against the deal value), or by one instalment.

    Only while nothing is collected (the outcome is not settled yet): the caller checks the state.
    Without a plan, an unchanged deal value keeps the current plan. Not won: no instalments.
    """
    value = outcome.deal_value
    current = instalments_of(session, outcome.id) if outcome.id else []
    if outcome.result != OutcomeResult.WON or value is None:
        _drop(session, outcome)
        return
    if plan is None:
        if current and sum(i.amount for i in current) == value.amount and current[0].currency == value.currency:
            return
        plan = (PlannedInstalment(outcome.appointment.starts_at.date(), value),)
    if len(plan) > PLAN_MAX:
        raise ValidationError(
            _("A payment plan has at most %(limit)d instalments.", limit=PLAN_MAX),
            field_errors={"payment_plan": _("At most %(limit)d instalments.", limit=PLAN_MAX)},
        )
    check_plan(value, [line.amount for line in plan])
    _drop(session, outcome)
    for position, line in enumerate(plan, start=1):
        session.add(
            Instalment(
                outcome_id=outcome.id,
                position=position,
                due_on=line.due_on,
                amount=line.amount.amount,
                currency=line.amount.currency,
                status=InstalmentStatus.DUE,
                refunded_amount=0,
                commission_accrued=0,
                fee_accrued=0,
                created_at=now,
                updated_at=now,
            )
        )


def check_plan_input(outcome_value: Money | None, plan: Sequence[PlannedInstalment] | None) -> None:
    """Refuse a bad plan before anything is written (the outcome service calls it with the report)."""
    if plan is None or outcome_value is None:
        return
    if len(plan) > PLAN_MAX:
        raise ValidationError(
            _("A payment plan has at most %(limit)d instalments.", limit=PLAN_MAX),
            field_errors={"payment_plan": _("At most %(limit)d instalments.", limit=PLAN_MAX)},
        )
    check_plan(outcome_value, [line.amount for line in plan])


def _drop(session: Session, outcome: Outcome) -> None:
    if outcome.id:
        session.execute(delete(Instalment).where(Instalment.outcome_id == outcome.id))


def lock_plan(session: Session, instalment: Instalment) -> None:
    """Serialise the markings of one outcome's plan, then read the instalment again as committed.

    SQLite: the database write lock (``BEGIN IMMEDIATE``; a read transaction left open is ended
    first). PostgreSQL: ``SELECT … FOR UPDATE`` of the outcome's row.
    """
    take_write_lock(session)
    session.execute(select(Outcome.id).where(Outcome.id == instalment.outcome_id).with_for_update())
    session.refresh(instalment)


def _as_business(session: Session, actor: User, instalment_id: int, action: str) -> Instalment:
    """The instalment, for a member of its business, with its plan locked against a concurrent marking.

    The running total is per outcome: two markings of its instalments at once would both accrue on
    the same "already accrued". SQLite: the write lock from the first statement; PostgreSQL: the
    outcome's row lock, then the instalment is read again (what the other marking committed).
    """
    instalment = find_instalment(session, instalment_id, actor)
    lock_plan(session, instalment)
    outcome = instalment.outcome
    if actor.business_id is None or actor.business_id != outcome.business_id:
        raise PermissionDenied(_("Only the business records what it collected."))
    if outcome.status not in SETTLED_STATUSES:
        raise Conflict(_("Confirm the outcome before recording its instalments."), code="outcome_not_confirmed")
    allowed = {
        "collect": (InstalmentStatus.DUE, InstalmentStatus.MISSED),
        "miss": (InstalmentStatus.DUE,),
        "refund": (InstalmentStatus.COLLECTED, InstalmentStatus.REFUNDED),
    }[action]
    if instalment.status not in allowed:
        raise Conflict(_(_CANNOT[action]), code="illegal_transition")
    return instalment


def _state(instalment: Instalment) -> dict[str, object]:
    return {
        "status": instalment.status,
        "collected_on": instalment.collected_on.isoformat() if instalment.collected_on else None,
        "refunded_amount": instalment.refunded_amount,
        "commission_accrued": instalment.commission_accrued,
        "fee_accrued": instalment.fee_accrued,
    }


def instalment_data(instalment: Instalment) -> dict[str, object]:
    """The API resource of an instalment (also a webhook event's ``data``)."""
    return {
        "id": instalment.id,
        "outcome_id": instalment.outcome_id,
        "position": instalment.position,
        "due_on": instalment.due_on.isoformat(),
        "amount": instalment.money.as_dict(),
        "status": instalment.status.value,
        "collected_on": instalment.collected_on.isoformat() if instalment.collected_on else None,
        "refunded": instalment.refunded_money.as_dict(),
        "commission": {
            "amount": instalment.commission_accrued,
            "currency": instalment.currency,
            "rate_bps": instalment.outcome.rate_bps,
            "basis": instalment.outcome.commission_basis.value,
            "status": "available" if instalment.released_at else "pending",
        },
        "miss_disputed": instalment.miss_dispute_open,
    }


def collect(session: Session, actor: User, instalment_id: int, collected_on: date, *, now: datetime) -> Instalment:
    """The business received this instalment on ``collected_on`` (not in the future)."""
    instalment = _as_business(session, actor, instalment_id, "collect")
    if collected_on > now.date():
        raise ValidationError(
            _("The collection date cannot be in the future."), field_errors={"collected_on": _("Not in the future.")}
        )
    before = _state(instalment)
    instalment.status = InstalmentStatus.COLLECTED
    instalment.collected_on = collected_on
    instalment.miss_dispute_resolved_at = now if instalment.miss_dispute_open else instalment.miss_dispute_resolved_at
    instalment.updated_at = now
    outcome = instalment.outcome
    business_id, instalment_pk = outcome.business_id, instalment.id
    if outcome.on_cash_collected and outcome.owes_commission:
        session.flush()
        events.publish(session, InstalmentCollected(instalment, now))  # Stripe mode: commits before calling Stripe
        instalment = session.get(Instalment, instalment_pk)  # type: ignore[assignment]
    audit(
        session,
        actor=actor,
        action="instalment.collected",
        obj=instalment,
        before=before,
        after=_state(instalment),
        now=now,
    )
    emit(session, business_id, "instalment.collected", instalment_data(instalment), now=now)
    session.commit()
    return instalment


def miss(session: Session, actor: User, instalment_id: int, *, now: datetime) -> Instalment:
    """The business says this instalment did not come (the closer may dispute it)."""
    instalment = _as_business(session, actor, instalment_id, "miss")
    before = _state(instalment)
    instalment.status = InstalmentStatus.MISSED
    instalment.missed_at = now
    instalment.updated_at = now
    audit(
        session,
        actor=actor,
        action="instalment.missed",
        obj=instalment,
        before=before,
        after=_state(instalment),
        now=now,
    )
    _tell_closer(session, instalment, now=now)
    session.commit()
    return instalment


def _tell_closer(session: Session, instalment: Instalment, *, now: datetime) -> None:
    """Email the closer that an instalment was marked missed (they may dispute it)."""
    outcome = instalment.outcome
    closer = outcome.closer
    if not closer.is_active:
        return
    queue_email(
        session,
        to=closer.email,
        template="instalment_missed",
        language=closer.language,
        context={
            "instalment": instalment,
            "appointment": outcome.appointment,
            "business": outcome.appointment.business,
            "recipient": closer,
            "url": public_url("outcomes.instalments_page", outcome_id=outcome.id),
        },
        now=now,
    )


def refund(session: Session, actor: User, instalment_id: int, amount: Money, *, now: datetime) -> Instalment:
    """The business gave back ``amount`` of a collected instalment; the commission on it is taken back."""
    instalment = _as_business(session, actor, instalment_id, "refund")
    left = instalment.amount - instalment.refunded_amount
    if amount.currency != instalment.currency:
        raise ValidationError(
            _("Give the amount in the instalment's currency, %(currency)s.", currency=instalment.currency),
            field_errors={"amount.currency": _("Use %(currency)s.", currency=instalment.currency)},
        )
    if not amount.is_positive() or amount.amount > left:
        raise ValidationError(
            _("Refund more than zero and at most what is left of the instalment."),
            field_errors={"amount": _("Between 1 and %(left)d minor units.", left=left)},
        )
    before = _state(instalment)
    instalment.refunded_amount += amount.amount
    instalment.status = InstalmentStatus.REFUNDED
    instalment.updated_at = now
    outcome = instalment.outcome
    if outcome.on_cash_collected and outcome.owes_commission:
        events.publish(session, InstalmentRefunded(instalment, now))
    audit(
        session,
        actor=actor,
        action="instalment.refunded",
        obj=instalment,
        before=before,
        after=_state(instalment),
        now=now,
    )
    events.commit(session)  # then, in Stripe mode, the card refunds (outside the transaction)
    return instalment


def dispute_miss(session: Session, actor: User, instalment_id: int, reason: str, *, now: datetime) -> Instalment:
    """The closer contests a "missed" marking, with a reason; it goes to the admins' dispute desk."""
    instalment = find_instalment(session, instalment_id, actor)
    if actor.id != instalment.outcome.closer_id:
        raise PermissionDenied(_("Only the closer of this deal can dispute a missed instalment."))
    if instalment.status != InstalmentStatus.MISSED or instalment.miss_dispute_open:
        raise Conflict(_("Only a missed instalment not already disputed can be disputed."), code="illegal_transition")
    text = clean_text(reason, "reason", REASON_MAX, multiline=True)
    if not text:
        raise ValidationError(
            _("Say why you think this instalment was paid."), field_errors={"reason": _("A reason is required.")}
        )
    before = _state(instalment)
    instalment.miss_disputed_at = now
    instalment.miss_dispute_reason = text
    instalment.miss_dispute_resolved_at = None
    instalment.updated_at = now
    audit(
        session,
        actor=actor,
        action="instalment.miss_disputed",
        obj=instalment,
        before=before,
        after=_state(instalment),
        now=now,
    )
    session.commit()
    return instalment


def resolve_miss_dispute(
    session: Session, actor: User, instalment_id: int, decision: str, *, now: datetime
) -> Instalment:
    """An admin settles a disputed "missed" marking: keep it missed, or put it back to due for the business."""
    instalment = find_instalment(session, instalment_id, actor)
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can settle a disputed missed instalment."))
    if not instalment.miss_dispute_open:
        raise Conflict(_("This instalment has no open dispute."), code="illegal_transition")
    if decision not in ("keep", "due"):
        raise ValidationError(_("Choose one."), field_errors={"decision": _("Choose one.")})
    before = _state(instalment)
    instalment.miss_dispute_resolved_at = now
    if decision == "due" and instalment.status == InstalmentStatus.MISSED:
        instalment.status = InstalmentStatus.DUE
        instalment.missed_at = None
    instalment.updated_at = now
    after = {**_state(instalment), "decision": decision}
    audit(
        session,
        actor=actor,
        action="instalment.miss_dispute_resolved",
        obj=instalment,
        before=before,
        after=after,
        now=now,
    )
    session.commit()
    return instalment


def expected_commission(outcome: Outcome, plan: list[Instalment]) -> int:
    """What the due instalments would still earn the closer, by the same running-total rule (cash_collected)."""
    if not outcome.on_cash_collected or not outcome.owes_commission or outcome.rate_bps is None:
        return 0
    collected = sum(i.collected_net for i in plan)
    due = sum(i.amount for i in plan if i.status == InstalmentStatus.DUE)
    accrued = sum(i.commission_accrued for i in plan)
    fees = sum(i.fee_accrued for i in plan)
    return accrue(
        collected + due,
        rate_bps=outcome.rate_bps,
        fee_bps=outcome.fee_bps or 0,
        commission_accrued=accrued,
        fee_accrued=fees,
    ).commission
