"""Migration e21a5c0d7f13 back-fills memo_code/memo_params of older ledger rows from their text, and
leaves the append-only guard as it was (SQLite: the trigger is re-created from its own SQL)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/e21a5c0d7f13_ledger_memo_code_params.py"


def _migration():  # the revision file is not a package module
    spec = importlib.util.spec_from_file_location("memo_backfill", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_older_rows_get_their_code_and_the_ledger_stays_append_only(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE ledger_entries (id INTEGER PRIMARY KEY, memo TEXT NOT NULL)"))
        conn.execute(
            sa.text(
                "CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                "BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END"
            )
        )
        conn.execute(
            sa.text("INSERT INTO ledger_entries (id, memo) VALUES (1, :a), (2, :b)"),
            {"a": "Commission on outcome #13 (appointment #12)", "b": "hand-written note"},
        )
        with Operations.context(MigrationContext.configure(conn)):
            _migration().upgrade()
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, memo_code, memo_params FROM ledger_entries ORDER BY id")).all()
        assert rows[0][1] == "commission" and '"outcome_id": 13' in rows[0][2] and '"appointment_id": 12' in rows[0][2]
        assert rows[1][1] is None and rows[1][2] is None  # a text it does not know is left as it was
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_entries SET memo = 'edited'"))
