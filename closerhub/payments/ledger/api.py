"""API v1 routes of a closer's money: balances and ledger entries (``payments.ledger``)."""

from __future__ import annotations

from typing import Any

from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schemas import Page
from closerhub.core.errors import PermissionDenied
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import LedgerEntry
from closerhub.payments.ledger.schemas import BalancesOut, LedgerEntryOut, LedgerQuery


@api_route(
    "GET",
    "/closers/me/balance",
    summary="Your balances per currency (closer)",
    auth=("closer",),
    response=BalancesOut,
    tags=("money",),
)
def my_balance() -> BalancesOut:
    """Minor units per currency: `pending` (earned, not yet released), `available` (next payout;
    may be negative after a reversal of paid money), `paid`."""
    rows = ledger.balances(db.session, current_api_user().id)
    return BalancesOut.model_validate(
        {
            "balances": [
                {"currency": b.currency, "pending": b.pending, "available": b.available, "paid": b.paid} for b in rows
            ]
        }
    )


@api_route(
    "GET",
    "/ledger",
    summary="Ledger entries (closer: your own; admin: anyone's)",
    auth=("closer", "admin"),
    query=LedgerQuery,
    response=Page[LedgerEntryOut],
    tags=("money",),
)
def list_ledger(query: LedgerQuery) -> dict[str, Any]:
    """Oldest first. A closer asking for another closer's entries gets a 403."""
    user = current_api_user()
    closer_id = query.closer_id
    if user.is_closer:
        if closer_id is not None and closer_id != user.id:
            raise PermissionDenied(_("Closers can only read their own ledger."))
        closer_id = user.id
    stmt = ledger.entries_query(closer_id, query.currency.upper() if query.currency else None)
    return paginate(
        db.session,
        stmt,
        LedgerEntry.id,
        query,
        lambda e: LedgerEntryOut.of(e).model_dump(mode="json"),
    )
