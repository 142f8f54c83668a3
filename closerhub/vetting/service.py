"""Vetting use cases: a new closer waits in review; an admin approves, asks for changes or rejects.

Each decision checks the state (409), then the input (422), changes nothing on error,
writes an audit row, emails the closer in their language, and commits once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import Role, User
from closerhub.accounts.service import AccountOpened
from closerhub.audit.service import record
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.core.text import clean_text
from closerhub.db import get_by_id
from closerhub.notifications.service import public_url, queue_email
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST, CloserVetting, VettingStatus, new_vetting

REASON_MAX = 2000
NOTES_MAX = 4000

DECISIONS = {
    "approve": VettingStatus.APPROVED,
    "request_changes": VettingStatus.CHANGES_REQUESTED,
    "reject": VettingStatus.REJECTED,
}
# Which states each decision may leave from (same-state decisions are a 409).
_ALLOWED_FROM = {
    VettingStatus.APPROVED: {VettingStatus.IN_REVIEW, VettingStatus.CHANGES_REQUESTED, VettingStatus.REJECTED},
    VettingStatus.CHANGES_REQUESTED: {VettingStatus.IN_REVIEW, VettingStatus.APPROVED},
    VettingStatus.REJECTED: {VettingStatus.IN_REVIEW, VettingStatus.CHANGES_REQUESTED, VettingStatus.APPROVED},
}
# The refused decisions (not in ``_ALLOWED_FROM``), each as a whole sentence: (current, target) → message.
_NOT_NOW = {
    (VettingStatus.APPROVED, VettingStatus.APPROVED): N_("This closer is approved; they cannot be approved now."),
    (VettingStatus.CHANGES_REQUESTED, VettingStatus.CHANGES_REQUESTED): N_(
        "This closer is changes requested; they cannot be changes requested now."
    ),
    (VettingStatus.REJECTED, VettingStatus.CHANGES_REQUESTED): N_(
        "This closer is rejected; they cannot be changes requested now."
    ),
    (VettingStatus.REJECTED, VettingStatus.REJECTED): N_("This closer is rejected; they cannot be rejected now."),
}
_EMAIL = {
    VettingStatus.APPROVED: "vetting_approved",
    VettingStatus.CHANGES_REQUESTED: "vetting_changes_requested",
    VettingStatus.REJECTED: "vetting_rejected",
}


def vetting_for(session: Session, closer_id: int) -> CloserVetting:
    """The closer's review row; an unsaved in-review one when missing (fail closed)."""
    row = session.get(CloserVetting, closer_id)
    if row is None:
        row = CloserVetting(
            closer_id=closer_id,
            status=VettingStatus.IN_REVIEW,
            stripe_onboarded=False,
            languages_checked=False,
            intro_call_held=False,
        )
    return row


def is_approved(session: Session, closer_id: int) -> bool:
    """Whether businesses may find and engage this closer."""
    return session.scalar(select(CloserVetting.status).where(CloserVetting.closer_id == closer_id)) == (
        VettingStatus.APPROVED
    )


def _closer(session: Session, closer_id: int) -> User:
    user = get_by_id(session, User, closer_id)
    if user is None or user.role != Role.CLOSER:
        raise NotFound(_("Closer not found."))
    return user


def _row(session: Session, closer: User, now: datetime) -> CloserVetting:
    row = session.get(CloserVetting, closer.id)
    if row is None:  # an account older than vetting: it enters the queue now
        row = new_vetting(closer, now)
        session.add(row)
    return row


def _snapshot(row: CloserVetting) -> dict[str, object]:
    return {
        "status": row.status,
        **{item: bool(getattr(row, item)) for item in CHECKLIST},
        "reason": row.reason,
        "notes": row.notes,
    }


def decide(session: Session, admin: User, closer_id: int, decision: VettingDecision, *, now: datetime) -> CloserVetting:
    """Record an admin's decision on a closer: ``approve``, ``request_changes`` or ``reject``.

    Approving needs a verified email address and the whole checklist ticked; asking for changes and rejecting need a
    reason (the closer reads it). The ticked checklist and internal notes are saved with
    every decision.
    """
    if not admin.is_admin:
        raise NotFound(_("Closer not found."))
    closer = _closer(session, closer_id)
    if decision.decision not in DECISIONS:
        raise ValidationError(
            _("Choose approve, request changes or reject."), field_errors={"decision": _("Unknown decision.")}
        )
    target = DECISIONS[decision.decision]
    existing = session.get(CloserVetting, closer.id)
    before = _snapshot(existing) if existing is not None else None
    row = _row(session, closer, now)
    current = row.status or VettingStatus.IN_REVIEW
    if current not in _ALLOWED_FROM[target]:
        raise Conflict(_(_NOT_NOW[(current, target)]), code="illegal_transition")
    if target == VettingStatus.APPROVED and closer.email_verified_at is None:
        # An approved closer gets booked: we must know we can reach them before vouching for them.
        raise Conflict(
            _(
                "%(name)s has not verified their email address yet: they cannot be approved until they do. "
                "You can resend the verification email from their account page.",
                name=closer.name,
            ),
            code="email_not_verified",
        )
    ticks = {item: item in decision.ticked for item in CHECKLIST}
    errors: dict[str, str] = {}
    text = ""
    try:
        text = clean_text(decision.reason, "reason", REASON_MAX, multiline=True)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    try:
        note = clean_text(decision.notes, "notes", NOTES_MAX, multiline=True) or None
    except ValidationError as exc:
        errors.update(exc.field_errors)
        note = None
    if target != VettingStatus.APPROVED and not text and "reason" not in errors:
        errors["reason"] = _("Give a reason: the closer reads it.")
    if target == VettingStatus.APPROVED and not all(ticks.values()):
        errors["checklist"] = _("Tick every item of the checklist before approving.")
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    row.status = target
    for item, ticked in ticks.items():
        setattr(row, item, ticked)
    row.reason = text or None
    row.notes = note
    row.reviewer_id = admin.id
    row.reviewed_at = now
    record(
        session, actor=admin, action=f"vetting.{target.value}", obj=closer, before=before, after=_snapshot(row), now=now
    )
    _tell(session, closer, row, now=now)
    session.commit()
    return row


def _tell(session: Session, closer: User, row: CloserVetting, *, now: datetime) -> None:
    queue_email(
        session,
        to=closer.email,
        template=_EMAIL[row.status],
        language=closer.language,
        context={
            "recipient": closer,
            "reason": row.reason,
            "profile_url": public_url("closers.edit_profile"),
            "dashboard_url": public_url("pages.dashboard"),
        },
        now=now,
    )


def resubmit(session: Session, closer: User, *, now: datetime) -> CloserVetting:
    """The closer, having made the requested changes, asks for a new review."""
    if not closer.is_closer:
        raise NotFound(_("Closer not found."))
    row = _row(session, closer, now)
    if row.status != VettingStatus.CHANGES_REQUESTED:
        raise Conflict(_("A new review can be asked only after changes were requested."), code="illegal_transition")
    before = _snapshot(row)
    row.status = VettingStatus.IN_REVIEW
    row.submitted_at = now
    record(
        session, actor=closer, action="vetting.resubmitted", obj=closer, before=before, after=_snapshot(row), now=now
    )
    session.commit()
    return row


def mark_approved(session: Session, closer: User, *, actor: User | str | None = None, now: datetime) -> CloserVetting:
    """Approve a closer without an admin review (demo data and test fixtures); audited, no email, no commit."""
    existing = session.get(CloserVetting, closer.id)
    before = _snapshot(existing) if existing is not None else None
    row = _row(session, closer, now)
    row.status = VettingStatus.APPROVED
    for item in CHECKLIST:
        setattr(row, item, True)
    row.reviewed_at = now
    row.reviewer_id = actor.id if isinstance(actor, User) else None
    record(session, actor=actor, action="vetting.approved", obj=closer, before=before, after=_snapshot(row), now=now)
    return row


def queue_query(status: VettingStatus | None) -> Select[tuple[CloserVetting]]:
    """Review rows in ``status`` (all when None), oldest submission first: first come, first served."""
    stmt = (
        select(CloserVetting)
        .options(joinedload(CloserVetting.closer))  # the queue names each closer: not one query per row
        .order_by(CloserVetting.submitted_at, CloserVetting.closer_id)
    )
    if status is not None:
        stmt = stmt.where(CloserVetting.status == status)
    return stmt


def on_account_opened(session: Session, event: AccountOpened) -> None:
    """A new closer is in review: absent from search until an admin approves (``AccountOpened`` handler)."""
    if event.user.role == Role.CLOSER:
        session.add(new_vetting(event.user, event.now))
