"""The closers' earnings ledger: append-only movements between three buckets.

Every entry moves money into or out of one bucket of one closer in one currency:

- ``pending``: earned on a won outcome, not yet releasable (unconfirmed, or inside the clawback hold);
- ``available``: released after the business was charged and ``CLAWBACK_DAYS`` passed; the next payout takes it;
- ``paid``: transferred to the closer (a payout).

A release is two entries (pending −x, available +x), a payout too (available −x, paid +x),
so a balance is a plain ``SUM(amount)`` per (closer, currency, bucket) and the total owed
is the sum of all three. A reversal after a payout takes from ``available``, which may go
negative: the next payout nets it off.

Nothing is ever updated or deleted: the database refuses it (see ``APPEND_ONLY_*`` below),
so a wrong entry is corrected by another entry, and the history stays whole.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model, db


class Bucket(enum.StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    PAID = "paid"


class EntryKind(enum.StrEnum):
    EARNED = "earned"  # a won outcome's commission (pending)
    RELEASED = "released"  # pending → available after the hold (a pair)
    PAID_OUT = "paid_out"  # available → paid by a payout (a pair)
    REVERSAL = "reversal"  # a voided or corrected deal, a refund, a chargeback
    ADJUSTMENT = "adjustment"  # the commission of a corrected or adjusted value


class LedgerEntry(Model):
    """One movement of ``amount`` minor units into (+) or out of (−) one bucket."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    bucket: Mapped[Bucket] = mapped_column(str_enum(Bucket, "ledger_bucket"))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "ledger_kind"))
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("outcomes.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # the payouts table comes with Stripe
    # Cash-collected outcomes: the instalment whose accrual this is (its own clawback hold). No
    # foreign key: adding one would make SQLite rebuild this append-only table.
    instalment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    memo: Mapped[str] = mapped_column(Text, default="")  # the English sentence (the API's ``memo``)
    memo_code: Mapped[str | None] = mapped_column(String(40))  # what it is about (payments/ledger/memos.py)
    memo_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the ids it names
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # Balances: GROUP BY closer, currency, bucket reads this index (amount included: index-only on PostgreSQL).
        Index("ix_ledger_entries_closer_currency_bucket", "closer_id", "currency", "bucket", "amount"),
    )

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.closer_id} {self.bucket.value} {self.amount} {self.currency}>"


# --- the database refuses UPDATE, DELETE and TRUNCATE --------------------------------------
# PostgreSQL: row-level triggers on UPDATE and DELETE, and a statement-level one on TRUNCATE
# (row triggers never see it). The test suite's clean-up empties the table with the triggers
# off for its own transaction only (tests/conftest.py); nothing in the app can do that.
PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
BEGIN
    -- (no percent placeholder: DB-API drivers would read it as a parameter marker)
    RAISE EXCEPTION USING MESSAGE = 'ledger_entries is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql
"""
PG_APPEND_ONLY_TRIGGER = (
    "CREATE TRIGGER trg_ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
)
PG_NO_TRUNCATE_TRIGGER = (
    "CREATE TRIGGER trg_ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()"
)
# SQLite: UPDATE and DELETE (SQLite has no TRUNCATE; its "DELETE FROM t" fires the DELETE trigger too).
SQLITE_APPEND_ONLY_TRIGGER = (
    "CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger_append_only'); END"
)
SQLITE_NO_DELETE_TRIGGER = (
    "CREATE TRIGGER trg_ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger_append_only'); END"
)
APPEND_ONLY_MESSAGES = ("append-only", "ledger_append_only")


def install_append_only_guard(connection: Any) -> None:
    """Create the triggers that make ``ledger_entries`` append-only (migration and create_all)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_APPEND_ONLY_FUNCTION)
        connection.exec_driver_sql(PG_APPEND_ONLY_TRIGGER)
        connection.exec_driver_sql(PG_NO_TRUNCATE_TRIGGER)
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_APPEND_ONLY_TRIGGER)
        connection.exec_driver_sql(SQLITE_NO_DELETE_TRIGGER)


@event.listens_for(LedgerEntry.__table__, "after_create")
def _after_create(_table: Any, connection: Any, **_kw: Any) -> None:
    install_append_only_guard(connection)
