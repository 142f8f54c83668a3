"""Show rate by attendance confirmation and by reminder channel (issue 22), one query for both.

Over the calls of the period that are over with a known result (``completed`` or ``no_show``):

- confirmation: the prospect confirmed (the 24 h reminder's link or a YES by SMS) or not;
- reminder channel: "SMS and email" when a reminder text was handed to the provider (``sent`` or
  ``delivered``), "email" when only the email reminders went, "none" when the call got neither
  (booked less than an hour ahead).

Show rate = completed ÷ (completed + no-shows), as everywhere else.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select

from closerhub.analytics import aggregates
from closerhub.analytics.aggregates import ShowCounts
from closerhub.analytics.queries import _in_range, _int
from closerhub.analytics.table_kinds import Column, Context, Table
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.notifications.sms_models import SmsMessage, SmsStatus

CONFIRMED, NOT_CONFIRMED = "confirmed", "not_confirmed"
SMS, EMAIL, NONE = "sms", "email", "none"


def show_counts(ctx: Context) -> list[ShowCounts]:
    a = Appointment
    # IN (subquery), not a correlated EXISTS: PostgreSQL hashes the texted calls once instead of
    # probing sms_messages for each of the period's calls (0.7 s on 557k calls, bench/analytics.py).
    texted = a.id.in_(
        select(SmsMessage.appointment_id).where(SmsMessage.status.in_((SmsStatus.SENT, SmsStatus.DELIVERED)))
    )
    confirmation = case((a.prospect_confirmed_at.is_not(None), literal(CONFIRMED)), else_=literal(NOT_CONFIRMED))
    emailed = or_(a.reminder_24h_sent_at.is_not(None), a.reminder_1h_sent_at.is_not(None))
    channel = case((texted, literal(SMS)), (emailed, literal(EMAIL)), else_=literal(NONE))
    rows = (
        select(
            confirmation.label("confirmation"),
            channel.label("channel"),
            case((a.status == AppointmentStatus.COMPLETED, 1), else_=0).label("shown"),
        )
        .where(
            and_(a.status.in_((AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW))),
            _in_range(a.starts_at, ctx.weeks),
            *ctx.scope.where(a.closer_id, a.business_id),
        )
        .subquery()
    )
    stmt = select(rows.c.confirmation, rows.c.channel, func.count(), func.sum(rows.c.shown)).group_by(
        rows.c.confirmation, rows.c.channel
    )
    return [ShowCounts(str(c), str(ch), _int(n), _int(s)) for c, ch, n, s in ctx.session.execute(stmt)]


def show_up(ctx: Context) -> Table:
    if aggregates.serves(ctx.scope, ctx.weeks):
        counts = aggregates.show_counts(ctx.session, ctx.scope, ctx.weeks)
    else:
        counts = show_counts(ctx)
    groups: list[tuple[str, str, Any]] = [
        ("confirmation", _("Prospect confirmed"), lambda c: c.confirmation == CONFIRMED),
        ("confirmation", _("Not confirmed"), lambda c: c.confirmation == NOT_CONFIRMED),
        ("channel", _("Reminded by SMS and email"), lambda c: c.channel == SMS),
        ("channel", _("Reminded by email only"), lambda c: c.channel == EMAIL),
        ("channel", _("No reminder"), lambda c: c.channel == NONE),
    ]
    columns = [
        Column("group", _("Calls"), "text"),
        Column("calls", _("Held or missed")),
        Column("shows", _("Prospect came")),
        Column("show_rate", _("Show rate"), "rate"),
    ]
    data = []
    for _kind, label, keep in groups:
        calls = sum(c.calls for c in counts if keep(c))
        shows = sum(c.shows for c in counts if keep(c))
        data.append({"group": label, "calls": calls, "shows": shows, "show_rate": shows / calls if calls else None})
    note = _("Calls over with a known result. Show rate: completed ÷ (completed + no-shows).")
    return Table("show_up", _("Show rate by confirmation and reminder channel"), columns, data, note)
