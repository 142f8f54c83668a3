"""audit trail search indexes

The admin audit page searches by actor (a user's id, or a system actor's exact label) and by
object id alone, newest first; the label and object id searches were full scans of a table
that only grows, and the actor id index could not give the page in order. Each index ends
in ``at`` so a search reads its page in order; (actor_id, at) replaces the actor_id index. Plain CREATE INDEX (no batch copy): on SQLite a
table rebuild would drop the append-only triggers.

Revision ID: a7d3e91c4b52
Revises: 4d30ad9cb870
Create Date: 2026-12-07 00:40:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "a7d3e91c4b52"
down_revision = "4d30ad9cb870"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entries_actor_at", "audit_entries", ["actor_id", "at"], unique=False)
    op.create_index("ix_audit_entries_actor_label_at", "audit_entries", ["actor_label", "at"], unique=False)
    op.create_index("ix_audit_entries_object_id_at", "audit_entries", ["object_id", "at"], unique=False)
    op.drop_index("ix_audit_entries_actor_id", table_name="audit_entries")


def downgrade():
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"], unique=False)
    op.drop_index("ix_audit_entries_object_id_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_label_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_at", table_name="audit_entries")
