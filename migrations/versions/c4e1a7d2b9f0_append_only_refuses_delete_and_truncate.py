"""append-only refuses delete and truncate

The ledger and the audit trail were guarded against UPDATE everywhere and DELETE on
PostgreSQL only. Now SQLite refuses DELETE too (row triggers), and PostgreSQL refuses
TRUNCATE (a statement-level trigger: row triggers never see TRUNCATE). Frozen copies of
the SQL in closerhub/audit/models.py and closerhub/payments/models.py; the trigger
functions already exist (4a3087e12848) and report TG_OP, so 'TRUNCATE refused'.

Revision ID: c4e1a7d2b9f0
Revises: 87889e03f05d
Create Date: 2026-12-06 23:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e1a7d2b9f0'
down_revision = '87889e03f05d'
branch_labels = None
depends_on = None

_PG_UP = (
    "CREATE TRIGGER trg_audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
    "CREATE TRIGGER trg_ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()",
)
_PG_DOWN = (
    "DROP TRIGGER IF EXISTS trg_audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS trg_ledger_entries_no_truncate ON ledger_entries",
)
_SQLITE_UP = (
    "CREATE TRIGGER trg_audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    "CREATE TRIGGER trg_ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger_append_only'); END",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS trg_audit_entries_no_delete",
    "DROP TRIGGER IF EXISTS trg_ledger_entries_no_delete",
)


def _run(statements):
    bind = op.get_bind()
    for statement in statements.get(bind.dialect.name, ()):
        bind.exec_driver_sql(statement)


def upgrade():
    _run({"postgresql": _PG_UP, "sqlite": _SQLITE_UP})


def downgrade():
    _run({"postgresql": _PG_DOWN, "sqlite": _SQLITE_DOWN})
