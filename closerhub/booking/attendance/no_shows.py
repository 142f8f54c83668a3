"""Closer no-shows: the business or the prospect reports that the closer did not come; an admin reviews.

- ``report``: once the call has started (not a cancelled call), one report per call. The prospect
  (manage link, ``reported_by="prospect"``) or a member of the business (page or API) may report.
  The prospect is emailed at once a link to book another time: the offer's booking page without the
  reported closer when the offer has other bookable closers (``?without=``: their slots, and the
  offer's routing rule picks among them), else every closer's.
- ``review``: an admin confirms or rejects (audited ``no_show_report.confirmed``/``.rejected``).
  A confirmed report counts in the closer's public stats (``closers.stats``). The
  ``REPEAT_LIMIT``-th confirmed report within ``REPEAT_WINDOW`` puts an approved closer back
  in the vetting queue (``in_review``, audited ``vetting.flagged_no_shows``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.booking.attendance.models import CloserNoShowReport, ReportStatus
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from closerhub.booking.reminders import messages as call_messages
from closerhub.booking.slots import bookable_engagements
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.core.i18n import _
from closerhub.core.text import clean_text
from closerhub.db import get_by_id
from closerhub.vetting.models import CloserVetting, VettingStatus

NOTE_MAX = 2000
REPEAT_LIMIT = 2
REPEAT_WINDOW = timedelta(days=90)


def report_for(session: Session, appointment_id: int) -> CloserNoShowReport | None:
    return session.scalar(select(CloserNoShowReport).where(CloserNoShowReport.appointment_id == appointment_id))


def can_report(appointment: Appointment, now: datetime) -> bool:
    """After the start time, for a call that was not cancelled."""
    return appointment.status != AppointmentStatus.CANCELLED and appointment.starts_at <= now


def report(
    session: Session,
    appointment: Appointment,
    *,
    reporter: User | None,
    note: str | None,
    now: datetime,
) -> CloserNoShowReport:
    """Report that the closer missed ``appointment`` (``reporter`` None: the prospect, by the manage link).

    Refused before the start (409 ``too_early``), for a cancelled call, and when the call was already
    reported (409 ``already_reported``); a note longer than ``NOTE_MAX`` is a 422. Commits.
    """
    if reporter is not None and not (reporter.is_admin or reporter.business_id == appointment.business_id):
        raise NotFound(_("Appointment not found."))
    text = clean_text(note, "note", NOTE_MAX, multiline=True)
    if appointment.status == AppointmentStatus.CANCELLED:
        raise Conflict(_("This call was cancelled; there is nothing to report."), code="not_reportable")
    if appointment.starts_at > now:
        raise Conflict(
            _("The call has not started yet: you can report a missed call after its start time."), code="too_early"
        )
    if report_for(session, appointment.id) is not None:
        raise Conflict(_("This call was already reported; an admin is reviewing it."), code="already_reported")
    label = "prospect" if reporter is None else "admin" if reporter.is_admin else "business"
    row = CloserNoShowReport(
        appointment_id=appointment.id,
        closer_id=appointment.closer_id,
        reported_by=label,
        reporter_id=reporter.id if reporter else None,
        note=text,
        status=ReportStatus.PENDING,
        created_at=now,
        rebook_offered_at=now,
    )
    session.add(row)
    appointment.events.append(
        AppointmentEvent(
            kind="closer_no_show_reported",
            at=now,
            actor_id=reporter.id if reporter else None,
            actor_label=label,
            reason=text or None,
        )
    )
    others = bool(bookable_engagements(session, appointment.offer, without=appointment.closer_id))
    call_messages.closer_missed_call(session, appointment, others, now=now)
    session.commit()
    return row


def review(
    session: Session, admin: User, report_id: int, decision: str | None, *, note: str | None = None, now: datetime
) -> CloserNoShowReport:
    """An admin confirms (``"confirm"``) or rejects (``"reject"``) a pending report. Commits."""
    row = get_by_id(session, CloserNoShowReport, report_id) if admin.is_admin else None
    if row is None:
        raise NotFound(_("Report not found."))
    if decision not in ("confirm", "reject"):
        raise ValidationError(_("Choose confirm or reject."), field_errors={"decision": _("Unknown decision.")})
    text = clean_text(note, "note", NOTE_MAX, multiline=True)
    if row.status != ReportStatus.PENDING:
        raise Conflict(_("This report was already reviewed."), code="already_reviewed")
    row.status = ReportStatus.CONFIRMED if decision == "confirm" else ReportStatus.REJECTED
    row.reviewed_at, row.reviewer_id, row.review_note = now, admin.id, text or None
    record(
        session,
        actor=admin,
        action=f"no_show_report.{row.status.value}",
        obj=row,
        before={"status": ReportStatus.PENDING.value},
        after={"status": row.status.value, "review_note": row.review_note, "closer_id": row.closer_id},
        now=now,
    )
    if row.status == ReportStatus.CONFIRMED:
        row.appointment.closer_no_show_at = now
        session.flush()
        _flag_if_repeated(session, admin, row.closer_id, now)
    session.commit()
    return row


def _flag_if_repeated(session: Session, admin: User, closer_id: int, now: datetime) -> None:
    recent = session.scalar(
        select(func.count()).where(
            CloserNoShowReport.closer_id == closer_id,
            CloserNoShowReport.status == ReportStatus.CONFIRMED,
            CloserNoShowReport.created_at > now - REPEAT_WINDOW,
        )
    )
    vetting = session.get(CloserVetting, closer_id)
    if (recent or 0) < REPEAT_LIMIT or vetting is None or vetting.status != VettingStatus.APPROVED:
        return
    vetting.status = VettingStatus.IN_REVIEW
    vetting.submitted_at = now
    note = _("%(count)d confirmed no-shows in 90 days.", count=recent)
    vetting.notes = f"{vetting.notes}\n{note}" if vetting.notes else note
    record(
        session,
        actor=admin,
        action="vetting.flagged_no_shows",
        obj=vetting.closer,
        before={"status": VettingStatus.APPROVED.value},
        after={"status": VettingStatus.IN_REVIEW.value, "confirmed_no_shows": recent},
        now=now,
    )


def pending_query() -> Select[tuple[CloserNoShowReport]]:
    """The admin's queue: pending reports, oldest first."""
    return (
        select(CloserNoShowReport)
        .options(joinedload(CloserNoShowReport.closer), joinedload(CloserNoShowReport.appointment))
        .where(CloserNoShowReport.status == ReportStatus.PENDING)
        .order_by(CloserNoShowReport.created_at, CloserNoShowReport.id)
    )
