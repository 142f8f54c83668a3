"""The ledger and the audit trail are append-only in the database itself, whatever the statement.

Each statement is tried directly on the real database: UPDATE and DELETE are refused on
SQLite and PostgreSQL alike, TRUNCATE on PostgreSQL (SQLite has none). Before, SQLite let
DELETE through and PostgreSQL let TRUNCATE through (row triggers never see it). The rows
are still there afterwards; the suite's own clean-up still empties the tables between tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.audit.models import APPEND_ONLY_MESSAGE
from closerhub.audit.service import record
from closerhub.extensions import db
from closerhub.payments.ledger.models import APPEND_ONLY_MESSAGES, Bucket, EntryKind, LedgerEntry

REFUSALS = (APPEND_ONLY_MESSAGE, *APPEND_ONLY_MESSAGES)
TABLES = ("audit_entries", "ledger_entries")


@pytest.fixture
def one_row_each(app, closer: User) -> None:
    """One audit row and one ledger entry, committed."""
    record(db.session, actor=closer, action="test.recorded", obj=closer, now=clock.utcnow())
    db.session.add(
        LedgerEntry(
            closer_id=closer.id,
            currency="EUR",
            bucket=Bucket.PENDING,
            amount=1200,
            kind=EntryKind.EARNED,
            created_at=datetime(2026, 6, 1, tzinfo=UTC),
        )
    )
    db.session.commit()


def _refused(statement: str) -> str:
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text(statement))
    db.session.rollback()
    return str(caught.value.orig)


def _ids(table: str) -> list[int]:
    ids = list(db.session.scalars(text(f"SELECT id FROM {table} ORDER BY id")))
    assert ids  # at least the fixture's row
    return ids


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_to_update_an_append_only_row(one_row_each: None, table: str) -> None:
    before = _ids(table)
    message = _refused(f"UPDATE {table} SET id = id + 100")
    assert any(m in message for m in REFUSALS), message
    assert _ids(table) == before


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_to_delete_an_append_only_row(one_row_each: None, table: str) -> None:
    before = _ids(table)
    message = _refused(f"DELETE FROM {table} WHERE id = {before[0]}")
    assert any(m in message for m in REFUSALS), message
    message = _refused(f"DELETE FROM {table}")
    assert any(m in message for m in REFUSALS), message
    assert _ids(table) == before


@pytest.mark.postgres
@pytest.mark.parametrize("table", TABLES)
def test_postgresql_refuses_to_truncate_an_append_only_table(one_row_each: None, table: str) -> None:
    before = _ids(table)
    message = _refused(f"TRUNCATE {table} CASCADE")
    assert any(m in message for m in REFUSALS) and "TRUNCATE refused" in message, message
    assert _ids(table) == before


@pytest.mark.parametrize("table", TABLES)
def test_each_test_still_starts_from_empty_append_only_tables(app, table: str) -> None:
    # Runs after the tests above left rows behind: the suite's clean-up, not the app, emptied them.
    assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) == 0
