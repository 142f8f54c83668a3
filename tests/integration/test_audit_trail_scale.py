"""The audit trail stays fast as it grows: searches go through indexes, the page never counts every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.audit.service import ACTION_NAMES_SQL, AuditFilter, action_names, entries_query
from closerhub.extensions import db
from tests.conftest import is_postgres

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def add_entries(n: int, *, actor: User | None = None, label: str = "stripe webhook", object_id: str = "1") -> None:
    """``n`` audit rows, one minute apart, in one bulk insert."""
    rows = [
        {
            "at": T0 - timedelta(minutes=i),
            "actor_id": actor.id if actor else None,
            "actor_label": f"{actor.name} <{actor.email}> (admin)" if actor else label,
            "action": "test.bulk",
            "object_type": "thing",
            "object_id": object_id,
            "after": {"i": i},
        }
        for i in range(n)
    ]
    db.session.execute(insert(AuditEntry), rows)
    db.session.commit()


def test_the_audit_page_says_more_than_1000_entries_instead_of_counting_them_all(
    admin_client: FlaskClient, admin_user: User
) -> None:
    add_entries(1001, actor=admin_user)
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "More than 1,000 entries" in html
    assert "Page 1 of" not in html and 'rel="next"' in html
    last = admin_client.get("/admin/audit?page=21").get_data(as_text=True)  # row 1001 on, then the admin's sign-up
    assert "<code>test.bulk</code>" in last and 'rel="next"' not in last and "Page 21" in last


def test_a_short_audit_trail_still_shows_its_exact_count_and_pages(admin_client: FlaskClient, admin_user: User) -> None:
    add_entries(55, actor=admin_user)
    html = admin_client.get("/admin/audit?action=test.bulk").get_data(as_text=True)
    assert "55 entries" in html and "Page 1 of 2" in html and 'rel="next"' in html


def _plan(app: Flask, flt: AuditFilter) -> str:
    """The database's plan of the page's query for ``flt`` (sequential scans discouraged on PostgreSQL,
    so that a table this small still shows whether an index could serve the search)."""
    stmt = entries_query(flt).limit(50)
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.begin() as conn:
        if is_postgres(app):
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            return "\n".join(conn.execute(text(f"EXPLAIN {sql}")).scalars())
        return "\n".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def _full_scan(plan: str) -> bool:
    return "Seq Scan on audit_entries" in plan or "SCAN audit_entries" in plan.replace("USING INDEX", "")


@pytest.mark.parametrize(
    "flt",
    [
        AuditFilter(actor="1"),
        AuditFilter(actor="stripe webhook"),
        AuditFilter(object_id="42"),
        AuditFilter(object_type="thing", object_id="42"),
        AuditFilter(actor="ada", actor_ids=(1,)),
        # SQLite reads ``IN (…)`` through the date index instead; PostgreSQL, which production runs, does not.
        pytest.param(AuditFilter(actor="a", actor_ids=(1, 2)), marks=pytest.mark.postgres),
    ],
    ids=["actor id", "system actor", "object id", "object type and id", "actor name", "actor names"],
)
def test_an_audit_search_by_actor_or_object_reads_through_an_index(
    app: Flask, admin_user: User, flt: AuditFilter
) -> None:
    add_entries(1000, label="nightly job", object_id="7")  # what the search must not read through
    add_entries(20, actor=admin_user, object_id="42")
    add_entries(20, object_id="42")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    plan = _plan(app, flt)
    assert not _full_scan(plan), plan


def test_the_action_suggestions_seek_each_name_through_the_index_instead_of_reading_every_row(
    app: Flask, admin_user: User
) -> None:
    add_entries(1000, label="nightly job")
    db.session.execute(
        insert(AuditEntry),
        [{"at": T0, "actor_label": "system", "action": a, "object_type": "thing", "object_id": "9"} for a in "zab"],
    )
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    names = action_names(db.session)
    assert len(names) == len(set(names)) and set(names) == _actions_by_hand() >= {"a", "b", "z", "test.bulk"}
    with db.engine.begin() as conn:
        if is_postgres(app):
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {ACTION_NAMES_SQL.text}")).scalars())
            assert "Index Only Scan" in plan and "Seq Scan" not in plan, plan
        else:
            plan = "\n".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {ACTION_NAMES_SQL.text}")))
            assert not _full_scan(plan), plan


def _actions_by_hand() -> set[str]:
    return set(db.session.scalars(select(AuditEntry.action)))
