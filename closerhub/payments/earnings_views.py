"""The closer's earnings page (``/earnings``): balances, instalment deals, the ledger and payouts.

It reads the ledger (payments) beside the outcomes, so it sits in payments, the higher package, and
keeps its place on the outcomes blueprint (``outcomes.earnings``) where menus and emails link to it.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import closer_required
from closerhub.extensions import db
from closerhub.outcomes import instalment_queries
from closerhub.outcomes.settings import setting
from closerhub.outcomes.views import LIST_LIMIT, bp
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memo_view import memo_texts
from closerhub.payments.ledger.models import LedgerEntry

LEDGER_LIMIT = 500  # the page shows the latest entries; the API pages through all of them


@bp.get("/earnings")
@closer_required
def earnings() -> str:
    """Balances per currency (pending, available, paid), the ledger, and the closer's recent outcomes."""
    me: User = current_user
    stmt = ledger.entries_query(me.id).order_by(None).order_by(LedgerEntry.id.desc()).limit(LEDGER_LIMIT)
    entries = list(db.session.scalars(stmt))
    return render_template(
        "outcomes/earnings.html",
        balances=ledger.balances(db.session, me.id),
        entries=entries,
        memos=memo_texts(db.session, entries),
        clawback_days=setting("CLAWBACK_DAYS"),
        cash_deals=instalment_queries.cash_deals_of(db.session, me.id, LIST_LIMIT),
        today=clock.utcnow().date(),  # a due instalment before today reads "Overdue"
    )
