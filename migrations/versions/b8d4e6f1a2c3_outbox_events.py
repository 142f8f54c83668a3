"""outbox_events: one row per thing that happened, expanded by the worker (a booking's emails and summary)

Revision ID: b8d4e6f1a2c3
Revises: b7a4c2e9d051
Create Date: 2026-12-07 05:40:00

"""

from alembic import op
import sqlalchemy as sa

import closerhub.db


# revision identifiers, used by Alembic.
revision = "b8d4e6f1a2c3"
down_revision = "b7a4c2e9d051"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "done",
                "failed",
                name="outbox_event_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", closerhub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", closerhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", closerhub.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index(op.f("ix_outbox_events_ref"), "outbox_events", ["ref"], unique=False)
    op.create_index(
        "ix_outbox_events_status_next_attempt_at", "outbox_events", ["status", "next_attempt_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_outbox_events_status_next_attempt_at", table_name="outbox_events")
    op.drop_index(op.f("ix_outbox_events_ref"), table_name="outbox_events")
    op.drop_table("outbox_events")
