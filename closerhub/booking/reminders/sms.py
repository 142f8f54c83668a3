"""SMS reminders: 24 h and 1 h before a call, to prospects who consented, never in their quiet hours.

Sent only when the lead gave SMS consent on the booking page for the number it still has
(``Lead.sms_consent_phone == Lead.phone_e164``) and that number has not replied STOP. The time
comes from ``core.quiet_hours.sms_send_time`` in the prospect's zone: a reminder due between
21:00 and 08:00 goes at 20:45 the evening before, when that is at most 12 h early (24 h
reminder) or 2 h early (1 h reminder) and not before the call was booked or moved; otherwise it
is skipped. Each reminder is claimed once (``sms_24h_at`` / ``sms_1h_at``, the claim of
``booking.reminders``) whether queued or skipped, in the transaction that queues it; the SMS
outbox (``notifications.sms``) then delivers it once. The 24 h text asks the prospect to reply
YES to confirm (``booking.sms_views``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from closerhub.booking.models import Appointment
from closerhub.booking.notify_text import short_when
from closerhub.booking.reminders.email import REMINDER_1H, REMINDER_24H, _candidates, _claim_and_notify, _scheduled_at
from closerhub.core.quiet_hours import sms_send_time
from closerhub.leads.models import Lead
from closerhub.notifications.service import supported_language
from closerhub.notifications.sms import queue_sms

MAX_EARLY = {"24h": timedelta(hours=12), "1h": timedelta(hours=2)}
_LEAD = {"24h": REMINDER_24H, "1h": REMINDER_1H}


def _column(kind: str) -> InstrumentedAttribute[Any]:
    return Appointment.sms_24h_at if kind == "24h" else Appointment.sms_1h_at


def planned_at(appointment_start: datetime, scheduled_at: datetime, kind: str, zone: str) -> datetime | None:
    """When the ``kind`` text of a call goes (None: skipped: booked too late, or quiet hours)."""
    due = appointment_start - _LEAD[kind]
    if due < scheduled_at:
        return None  # booked (or moved) less than ``lead`` before: the confirmation was enough
    return sms_send_time(due, zone, not_before=scheduled_at, max_early=MAX_EARLY[kind])


def text_of(appointment: Appointment, kind: str) -> str:
    """The reminder's words, in the prospect's language, with the time in their zone."""
    with force_locale(supported_language(appointment.prospect_language)):
        when = short_when(appointment.starts_at, appointment.prospect_zone)
        if kind == "24h":
            body = _(
                "%(business)s: your call with %(closer)s is on %(when)s. Reply YES to confirm. Reply STOP to opt out.",
                business=appointment.business.name,
                closer=appointment.closer.name,
                when=when,
            )
        else:
            body = _(
                "%(business)s: your call with %(closer)s starts in one hour (%(when)s). Reply STOP to opt out.",
                business=appointment.business.name,
                closer=appointment.closer.name,
                when=when,
            )
    return str(body)


def send_due_sms_reminders(session: Session, config: Mapping[str, Any], now: datetime) -> int:
    """Queue (or skip) each due SMS reminder once; returns how many were claimed."""
    claimed = 0
    for kind in ("24h", "1h"):
        column = _column(kind)
        consented = select(Lead.id).where(
            Lead.id == Appointment.lead_id,
            Lead.sms_consent_at.is_not(None),
            Lead.phone_e164.is_not(None),
            Lead.sms_consent_phone == Lead.phone_e164,
        )
        rows = _candidates(
            session,
            column,
            Appointment.starts_at > now,
            Appointment.starts_at <= now + _LEAD[kind] + MAX_EARLY[kind],
            consented.exists(),
        )
        zones: dict[int, str] = dict(
            session.execute(  # type: ignore[arg-type]
                select(Appointment.id, Appointment.prospect_timezone).where(Appointment.id.in_([r.id for r in rows]))
            ).all()
        )
        due: list[int] = []
        for row in rows:
            scheduled = _scheduled_at(row)
            planned = planned_at(row.starts_at, scheduled, kind, zones[row.id])
            skip_from = max(row.starts_at - _LEAD[kind], scheduled)
            if (planned is not None and planned <= now) or (planned is None and skip_from <= now):
                due.append(row.id)

        def send(s: Session, appointment: Appointment, kind: str = kind) -> None:
            scheduled = max([appointment.created_at, *(e.at for e in appointment.events if e.kind == "rescheduled")])
            if planned_at(appointment.starts_at, scheduled, kind, appointment.prospect_timezone) is None:
                return  # skipped: the claim records that it was considered
            lead = appointment.lead
            assert lead.phone_e164 is not None
            queue_sms(
                s,
                config,
                to=lead.phone_e164,
                body=text_of(appointment, kind),
                kind=f"reminder_{kind}",
                appointment_id=appointment.id,
                now=now,
            )

        claimed += _claim_and_notify(session, due, column, now, send)
    return claimed
