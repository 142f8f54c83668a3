"""``AuditEntry``: one row per change to money, permissions, engagements, vetting or settings.

Append-only, and the database says so (not only the code): on PostgreSQL row triggers
refuse every UPDATE and DELETE and a statement trigger refuses TRUNCATE; on SQLite triggers
refuse UPDATE and DELETE. The guards are installed by an ``after_create`` listener
(``create_all``) and by the migrations, which run the same SQL (``PG_APPEND_ONLY`` /
``SQLITE_APPEND_ONLY``). Nothing in the app can switch them off; the test suite's clean-up
between tests works around them inside its own transaction (tests/conftest.py).

``actor_id`` is deliberately not a foreign key: a trail must outlive the rows it talks
about, and an ``ON DELETE SET NULL`` would itself be an UPDATE of audit rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime
from closerhub.extensions import Model


class AuditEntry(Model):
    """An immutable record of one change, e.g. ``engagement.accepted`` on ``engagement 12``."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # None: the system (a job, the CLI)
    actor_label: Mapped[str] = mapped_column(String(300))  # "Ada <ada@x.com> (admin)", kept if the user changes
    action: Mapped[str] = mapped_column(String(60), index=True)  # "<object>.<verb>", e.g. "engagement.accepted"
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))  # IPv6 at most 45 characters

    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id", "at"),
        # The admin page's searches, each newest first: by actor (id, or a system actor's label)
        # and by object id alone. Ending in ``at`` lets a search read its page in order.
        Index("ix_audit_entries_actor_at", "actor_id", "at"),
        Index("ix_audit_entries_actor_label_at", "actor_label", "at"),
        Index("ix_audit_entries_object_id_at", "object_id", "at"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


# --- the database's guard -----------------------------------------------------------------

APPEND_ONLY_MESSAGE = "audit_entries is append-only"
PG_APPEND_ONLY = (
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    # No '%' placeholder in the message: drivers would read it as a bind parameter.
    f"BEGIN RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE}: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER trg_audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    # TRUNCATE is a statement-level event that row triggers never see.
    "CREATE TRIGGER trg_audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
)
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER trg_audit_entries_no_update BEFORE UPDATE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER trg_audit_entries_no_delete BEFORE DELETE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS trg_audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS trg_audit_entries_append_only ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_append_only()",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS trg_audit_entries_no_delete",
    "DROP TRIGGER IF EXISTS trg_audit_entries_no_update",
)


def install_append_only_guard(connection: Any) -> None:
    """Create the triggers that refuse changes to audit rows (UPDATE, DELETE; TRUNCATE on PostgreSQL)."""
    statements = {"postgresql": PG_APPEND_ONLY, "sqlite": SQLITE_APPEND_ONLY}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


@event.listens_for(AuditEntry.__table__, "after_create")
def _after_create(_table: Any, connection: Any, **_kw: Any) -> None:
    install_append_only_guard(connection)
