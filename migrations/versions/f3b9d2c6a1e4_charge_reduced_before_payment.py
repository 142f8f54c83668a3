"""charges: reduced_from and the cancelled status (an instalment refunded before its charge was paid)

Revision ID: f3b9d2c6a1e4
Revises: 6ab27b60e690
Create Date: 2026-12-07 04:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f3b9d2c6a1e4"
down_revision = "6ab27b60e690"
branch_labels = None
depends_on = None

BEFORE = (
    "'pending', 'processing', 'succeeded', 'requires_action', 'failed', 'refunded', "
    "'partially_refunded', 'disputed', 'manual_due', 'manual_paid'"
)


def upgrade():
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reduced_from", sa.BigInteger(), nullable=True))
        batch_op.drop_constraint("charge_status", type_="check")
        batch_op.create_check_constraint("charge_status", f"status IN ({BEFORE}, 'cancelled')")


def downgrade():
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_constraint("charge_status", type_="check")
        batch_op.create_check_constraint("charge_status", f"status IN ({BEFORE})")
        batch_op.drop_column("reduced_from")
