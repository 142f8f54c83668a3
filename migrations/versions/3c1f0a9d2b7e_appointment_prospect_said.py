"""appointment prospect_said

appointments.prospect_said: what an anonymous caller (the public booking page, the API with an
offer's booking key) typed when booking, kept on the call as "the prospect said" instead of
being merged over the business's lead. NULL for calls booked by signed-in users and for calls
booked before this migration.

Revision ID: 3c1f0a9d2b7e
Revises: c4e1a7d2b9f0
Create Date: 2026-12-06 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0a9d2b7e'
down_revision = 'c4e1a7d2b9f0'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy): on SQLite a table rebuild would drop the overlap triggers.
    op.add_column('appointments', sa.Column('prospect_said', sa.JSON(), nullable=True))


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): a batch rebuild would drop the triggers.
    op.execute('ALTER TABLE appointments DROP COLUMN prospect_said')
