"""payout details (sealed)

payout_details: one row per closer, the manual-mode bank details sealed with
closerhub.secrets_box (Fernet) plus a masked display form; nothing in clear.

Revision ID: c3a91d7e5b20
Revises: 3c1f0a9d2b7e
Create Date: 2026-12-06 23:55:00

"""
from alembic import op
import sqlalchemy as sa

import closerhub.db


# revision identifiers, used by Alembic.
revision = 'c3a91d7e5b20'
down_revision = '3c1f0a9d2b7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_details',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('closer_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.Enum('iban', 'us', 'uk', 'other', name='payout_details_scheme', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('display', sa.JSON(), nullable=False),
    sa.Column('created_at', closerhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', closerhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closer_id'], ['users.id'], name=op.f('fk_payout_details_closer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_details')),
    sa.UniqueConstraint('closer_id', name=op.f('uq_payout_details_closer_id'))
    )


def downgrade():
    op.drop_table('payout_details')
