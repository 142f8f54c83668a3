"""offers set the call (call_minutes, start_increment_minutes); business brand and embed
origins; appointment guests; closer photo

Existing offers get the call length their closers give today: the most common
``slot_minutes`` among the closers engaged on the offer (any engagement status; ties: the
shorter), else the closers' default of 60. The start increment is the call's length when
it is an allowed increment (15, 20, 30, 60: the start times offered today stay exactly the
same), else 15 (a 45-minute call starts every 15 minutes: today's starts and more).

Revision ID: b17a0c411e01
Revises: e21a5c0d7f13
Create Date: 2026-12-07 03:10:00.000000

"""

from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b17a0c411e01"
down_revision = "e21a5c0d7f13"
branch_labels = None
depends_on = None

DEFAULT_CALL_MINUTES = 60


def _is_sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _increment(call_minutes):
    return call_minutes if call_minutes in (5, 10, 15, 20, 30, 60) else 15


def upgrade():
    # Plain ADD COLUMN everywhere: on SQLite a batch rebuild of ``offers`` would drop a table that
    # appointments and engagements reference (refused with foreign keys on). SQLite cannot add a
    # CHECK to an existing table, so there the service's validation alone keeps the two ranges.
    op.add_column("offers", sa.Column("call_minutes", sa.Integer(), server_default="60", nullable=False))
    op.add_column("offers", sa.Column("start_increment_minutes", sa.Integer(), server_default="60", nullable=False))
    if not _is_sqlite():
        op.create_check_constraint(op.f("ck_offers_call_minutes"), "offers", "call_minutes BETWEEN 15 AND 240")
        op.create_check_constraint(
            op.f("ck_offers_start_increment_minutes"), "offers", "start_increment_minutes IN (5, 10, 15, 20, 30, 60)"
        )
    op.add_column("businesses", sa.Column("brand_color", sa.String(length=7), nullable=True))
    op.add_column("businesses", sa.Column("logo_url", sa.String(length=500), nullable=True))
    op.add_column("businesses", sa.Column("embed_origins", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("appointments", sa.Column("guests", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("closer_profiles", sa.Column("photo_url", sa.String(length=500), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.offer_id, a.slot_minutes FROM engagements e "
            "JOIN closer_availability_settings a ON a.closer_id = e.closer_id"
        )
    ).all()
    lengths = {}
    for offer_id, minutes in rows:
        lengths.setdefault(offer_id, Counter())[minutes] += 1
    for (offer_id,) in bind.execute(sa.text("SELECT id FROM offers")).all():
        counts = lengths.get(offer_id)
        call = min(counts, key=lambda m: (-counts[m], m)) if counts else DEFAULT_CALL_MINUTES
        bind.execute(
            sa.text("UPDATE offers SET call_minutes = :call, start_increment_minutes = :step WHERE id = :id"),
            {"call": call, "step": _increment(call), "id": offer_id},
        )


def downgrade():
    if not _is_sqlite():
        op.drop_constraint(op.f("ck_offers_start_increment_minutes"), "offers", type_="check")
        op.drop_constraint(op.f("ck_offers_call_minutes"), "offers", type_="check")
    for table, column in (
        ("closer_profiles", "photo_url"),
        ("appointments", "guests"),
        ("businesses", "embed_origins"),
        ("businesses", "logo_url"),
        ("businesses", "brand_color"),
        ("offers", "start_increment_minutes"),
        ("offers", "call_minutes"),
    ):
        op.drop_column(table, column)  # SQLite 3.35+ drops a column in place
