"""Ledger memos for a page: each entry's memo in the reader's language, naming the client and the call.

One query loads the outcomes the entries name, with their call and lead, whatever the number of
entries (the earnings page stays within its statement budget).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from closerhub.booking.models import Appointment
from closerhub.core.i18n import _
from closerhub.i18n import local_time
from closerhub.outcomes.models import Outcome
from closerhub.payments.ledger.memos import memo_of, render
from closerhub.payments.ledger.models import LedgerEntry


def memo_texts(session: Session, entries: Iterable[LedgerEntry]) -> dict[int, str]:
    """``entry.id`` → its memo as the reader reads it ("Commission on the call with Lea Martin on Fri, Dec 4")."""
    rows = list(entries)
    memos = {e.id: memo_of(e.memo_code, e.memo_params, e.memo) for e in rows}
    outcome_ids = {int(m.params["outcome_id"]) for m in memos.values() if m and m.params.get("outcome_id")}
    calls: dict[int, str] = {}
    if outcome_ids:
        stmt = (
            select(Outcome)
            .options(joinedload(Outcome.appointment).joinedload(Appointment.lead))
            .where(Outcome.id.in_(outcome_ids))
        )
        for outcome in session.scalars(stmt).unique():
            appointment = outcome.appointment
            calls[outcome.id] = _(
                "the call with %(client)s on %(day)s",
                client=appointment.lead.name,
                day=local_time(appointment.starts_at, fmt="day"),
            )
    return {e.id: render(memos[e.id], e.memo, calls.get) for e in rows}
