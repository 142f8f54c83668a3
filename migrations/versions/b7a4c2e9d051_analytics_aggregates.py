"""analytics pre-aggregates: 15-minute slots per business, days and weeks per closer and offer, the dirty days
(filled by triggers on appointments, outcomes and sms_messages) and the refresh time; an index on
appointments.starts_at for the live edges of a period

Revision ID: b7a4c2e9d051
Revises: f3b9d2c6a1e4
Create Date: 2026-12-07 05:40:00

NB: a later SQLite batch migration that recreates ``appointments``, ``outcomes`` or ``sms_messages``
must re-create the ``trg_analytics_dirty_*`` triggers of that table (``_sqlite_triggers`` below).
"""

from alembic import op
import sqlalchemy as sa

import closerhub.db


revision = "b7a4c2e9d051"
down_revision = "f3b9d2c6a1e4"
branch_labels = None
depends_on = None

SHOW_UP = [f"{kind}_{c}_{ch}" for c in ("confirmed", "not_confirmed") for ch in ("sms", "email", "none") for kind in ("shows", "misses")]
PERFORMANCE = ["appointments", "completed", "no_show", "cancelled", "held", "won"]

# The appointment columns a figure reads; an UPDATE that changes none of them marks nothing.
APPOINTMENT_COLUMNS = [
    "starts_at", "status", "closer_id", "business_id", "offer_id",
    "prospect_confirmed_at", "reminder_24h_sent_at", "reminder_1h_sent_at",
]
LINKED = {"outcomes": ["appointment_id", "result", "status"], "sms_messages": ["appointment_id", "status"]}


def _counts(names):
    return [sa.Column(n, sa.Integer(), nullable=False, server_default="0") for n in names]


def _changed(columns, null_safe):
    op_ = "IS NOT" if null_safe == "sqlite" else "IS DISTINCT FROM"
    return " OR ".join(f"OLD.{c} {op_} NEW.{c}" for c in columns)


PG_FUNCTION = """
CREATE FUNCTION analytics_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'appointments' THEN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO analytics_dirty (day) VALUES ((OLD.starts_at AT TIME ZONE 'UTC')::date);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.starts_at IS DISTINCT FROM OLD.starts_at) THEN
            INSERT INTO analytics_dirty (day) VALUES ((NEW.starts_at AT TIME ZONE 'UTC')::date);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO analytics_dirty (day)
            SELECT (a.starts_at AT TIME ZONE 'UTC')::date FROM appointments a WHERE a.id = OLD.appointment_id;
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.appointment_id IS DISTINCT FROM OLD.appointment_id) THEN
            INSERT INTO analytics_dirty (day)
            SELECT (a.starts_at AT TIME ZONE 'UTC')::date FROM appointments a WHERE a.id = NEW.appointment_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


def _postgres_triggers():
    op.execute(PG_FUNCTION)
    for table, columns in {"appointments": APPOINTMENT_COLUMNS, **LINKED}.items():
        run = "FOR EACH ROW EXECUTE FUNCTION analytics_mark_dirty()"
        op.execute(f"CREATE TRIGGER trg_analytics_dirty_{table}_insert AFTER INSERT ON {table} {run}")
        op.execute(f"CREATE TRIGGER trg_analytics_dirty_{table}_delete AFTER DELETE ON {table} {run}")
        op.execute(
            f"CREATE TRIGGER trg_analytics_dirty_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_changed(columns, 'postgresql')}) EXECUTE FUNCTION analytics_mark_dirty()"
        )


def _sqlite_triggers():
    day = "date({}.starts_at)"
    a_new = f"INSERT INTO analytics_dirty (day) VALUES ({day.format('NEW')});"
    a_old = f"INSERT INTO analytics_dirty (day) VALUES ({day.format('OLD')});"
    columns = APPOINTMENT_COLUMNS
    op.execute(f"CREATE TRIGGER trg_analytics_dirty_appointments_insert AFTER INSERT ON appointments BEGIN {a_new} END")
    op.execute(f"CREATE TRIGGER trg_analytics_dirty_appointments_delete AFTER DELETE ON appointments BEGIN {a_old} END")
    op.execute(
        f"CREATE TRIGGER trg_analytics_dirty_appointments_update AFTER UPDATE OF {', '.join(columns)} ON appointments "
        f"WHEN {_changed(columns, 'sqlite')} BEGIN {a_old} "
        f"INSERT INTO analytics_dirty (day) SELECT {day.format('NEW')} WHERE NEW.starts_at IS NOT OLD.starts_at; END"
    )
    for table, columns in LINKED.items():
        via = "INSERT INTO analytics_dirty (day) SELECT date(a.starts_at) FROM appointments a WHERE a.id = {}.appointment_id;"
        op.execute(f"CREATE TRIGGER trg_analytics_dirty_{table}_insert AFTER INSERT ON {table} BEGIN {via.format('NEW')} END")
        op.execute(f"CREATE TRIGGER trg_analytics_dirty_{table}_delete AFTER DELETE ON {table} BEGIN {via.format('OLD')} END")
        op.execute(
            f"CREATE TRIGGER trg_analytics_dirty_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"WHEN {_changed(columns, 'sqlite')} BEGIN {via.format('OLD')} "
            f"{via.format('NEW')[:-1]} AND NEW.appointment_id IS NOT OLD.appointment_id; END"
        )


def upgrade():
    op.create_table(
        "analytics_slots",
        sa.Column("bucket", closerhub.db.UTCDateTime(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_counts(PERFORMANCE + SHOW_UP),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bucket", "business_id"),
    )
    op.create_index("ix_analytics_slots_day", "analytics_slots", ["day"])
    op.create_table(
        "analytics_closer_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closer_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        *_counts(PERFORMANCE),
        sa.ForeignKeyConstraint(["closer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("day", "closer_id", "business_id", "offer_id"),
    )
    op.create_index("ix_analytics_closer_days_business_day", "analytics_closer_days", ["business_id", "day"])
    op.create_table(
        "analytics_closer_weeks",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("closer_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        *_counts(PERFORMANCE),
        sa.ForeignKeyConstraint(["closer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("week", "closer_id", "business_id", "offer_id"),
    )
    op.create_index("ix_analytics_closer_weeks_business_week", "analytics_closer_weeks", ["business_id", "week"])
    op.create_table(
        "analytics_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "analytics_refreshes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", closerhub.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appointments_starts_at", "appointments", ["starts_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgres_triggers()
    elif bind.dialect.name == "sqlite":
        _sqlite_triggers()
    # Every existing day is to be summed: the worker's next run (or ``flask analytics-rebuild``) does it.
    if bind.dialect.name == "postgresql":
        op.execute("INSERT INTO analytics_dirty (day) SELECT DISTINCT (starts_at AT TIME ZONE 'UTC')::date FROM appointments")
    else:
        op.execute("INSERT INTO analytics_dirty (day) SELECT DISTINCT date(starts_at) FROM appointments")


def downgrade():
    bind = op.get_bind()
    for table in ("appointments", "outcomes", "sms_messages"):
        for event in ("insert", "delete", "update"):
            on = f" ON {table}" if bind.dialect.name == "postgresql" else ""
            op.execute(f"DROP TRIGGER IF EXISTS trg_analytics_dirty_{table}_{event}{on}")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS analytics_mark_dirty()")
    op.drop_index("ix_appointments_starts_at", table_name="appointments")
    op.drop_table("analytics_refreshes")
    op.drop_table("analytics_dirty")
    op.drop_index("ix_analytics_closer_weeks_business_week", table_name="analytics_closer_weeks")
    op.drop_table("analytics_closer_weeks")
    op.drop_index("ix_analytics_closer_days_business_day", table_name="analytics_closer_days")
    op.drop_table("analytics_closer_days")
    op.drop_index("ix_analytics_slots_day", table_name="analytics_slots")
    op.drop_table("analytics_slots")
