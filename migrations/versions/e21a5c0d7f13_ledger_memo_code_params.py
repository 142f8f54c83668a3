"""ledger entries: memo_code + memo_params (a memo rendered when read), back-filled from the memo text

Revision ID: e21a5c0d7f13
Revises: d51f3a8c7e22
Create Date: 2026-12-07 03:00:00

The ledger is append-only: the database refuses UPDATE. The back-fill lifts the guard for its own
statements only (PostgreSQL: the row trigger is disabled inside this migration's transaction;
SQLite: the trigger is dropped and re-created from its own stored SQL) and only fills the two new
columns of rows whose sentence ``payments.memos.parse_legacy`` recognises.
"""

import json

import sqlalchemy as sa
from alembic import op

from closerhub.payments.ledger.memos import parse_legacy

revision = "e21a5c0d7f13"
down_revision = "d51f3a8c7e22"
branch_labels = None
depends_on = None


def _backfill(bind: sa.engine.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, memo FROM ledger_entries WHERE memo_code IS NULL")).all()
    for row_id, memo in rows:
        found = parse_legacy(memo or "")
        if found is not None:
            bind.execute(
                sa.text("UPDATE ledger_entries SET memo_code = :code, memo_params = :params WHERE id = :id"),
                {"code": found.code, "params": json.dumps(found.params), "id": row_id},
            )


def upgrade():
    op.add_column("ledger_entries", sa.Column("memo_code", sa.String(length=40), nullable=True))
    op.add_column("ledger_entries", sa.Column("memo_params", sa.JSON(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("ALTER TABLE ledger_entries DISABLE TRIGGER trg_ledger_entries_append_only"))
        _backfill(bind)
        bind.execute(sa.text("ALTER TABLE ledger_entries ENABLE TRIGGER trg_ledger_entries_append_only"))
    elif bind.dialect.name == "sqlite":
        guards = bind.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries' "
                "AND sql LIKE '%BEFORE UPDATE%'"
            )
        ).all()
        for name, _sql in guards:
            bind.execute(sa.text(f'DROP TRIGGER "{name}"'))
        _backfill(bind)
        for _name, sql in guards:
            bind.execute(sa.text(sql))
    else:  # pragma: no cover - the app runs on PostgreSQL and SQLite only
        _backfill(bind)


def downgrade():
    op.drop_column("ledger_entries", "memo_params")  # no table rebuild: the append-only triggers stay
    op.drop_column("ledger_entries", "memo_code")
