"""The booking path's shortcuts keep their promises: the in-process rules cache never serves
rules that changed, and a booking stays within its statement budget (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT

from closerhub.accounts.models import User
from closerhub.closers import rules as closer_rules
from closerhub.closers.rules import rules_for
from closerhub.extensions import db
from tests.integration.booking_setup import frozen, set_hours, setting
from tests.integration.test_api_accounts import bearer

__all__ = ["frozen", "setting"]  # fixtures

#: What one ``POST /api/v1/appointments`` with an engagement and a new lead may send, by dialect
#: (PostgreSQL: 11 when this was written, from 25; 12 with outbound webhooks' endpoint read). Since
#: issue 18 the emails and the search summary follow the commit through one outbox event
#: (``booking.booked_event``): token, engagement locked with its offer, engagement facts, busy
#: time, lead upsert, appointment, history, audit, webhook endpoints, the event: 10 on both.
#: Then (``booking.write``) the engagement, its closer's facts and whether the business has a
#: webhook endpoint are one locked read, and the writes are Core statements: on PostgreSQL the
#: call, history, audit row and event are one statement (token, engagement, busy time, lead, the
#: writes: 5); SQLite sends the four INSERTs apart (8). bench/README.md lists them. More is a regression.
BOOKING_STATEMENTS = {"postgresql": 5, "sqlite": 8}


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_saved_availability_is_read_again_and_unchanged_availability_is_not(setting: dict[str, Any]) -> None:
    closer: User = setting["closer"]
    first = rules_for(db.session, closer)
    assert first.slot_minutes == 60
    with counted() as statements:
        again = rules_for(db.session, closer)
    assert again is first  # built once, kept by its etag
    assert len(statements) == 1  # only the etag, not the three queries of the rows

    set_hours(closer, slot_minutes=30)  # a save gives the settings a new etag
    changed = rules_for(db.session, closer)
    assert changed.slot_minutes == 30
    assert changed is not first


def test_a_change_of_zone_is_not_served_from_the_cache(setting: dict[str, Any]) -> None:
    closer: User = setting["closer"]
    in_paris = rules_for(db.session, closer)
    closer.timezone = "America/New_York"  # the account settings page changes only the user row
    db.session.commit()
    in_new_york = rules_for(db.session, closer)
    assert in_paris.timezone == "Europe/Paris"
    assert in_new_york.timezone == "America/New_York"


def test_a_save_by_another_connection_is_seen(setting: dict[str, Any]) -> None:
    closer: User = setting["closer"]
    closer_id = closer.id
    assert rules_for(db.session, closer).slot_minutes == 60
    db.session.commit()  # the next read starts a new transaction, after the other one's commit
    with db.engine.begin() as other:  # another process saving: only the database changes
        other.exec_driver_sql(
            "UPDATE closer_availability_settings SET slot_minutes = 45, rules_etag = 'another-process' "
            f"WHERE closer_id = {closer_id}"
        )
    assert rules_for(db.session, closer).slot_minutes == 45


def test_rows_saved_before_the_etag_existed_are_never_cached(setting: dict[str, Any]) -> None:
    closer: User = setting["closer"]
    closer_id = closer.id
    db.session.commit()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE closer_availability_settings SET rules_etag = '' WHERE closer_id = {closer_id}")
    rules_for(db.session, closer)
    assert not [key for key in closer_rules._RULES_CACHE if key[0] == ""]
    with counted() as statements:
        rules_for(db.session, closer)
    assert len(statements) == 4  # the etag, then the rows again


def test_a_booking_stays_within_its_statement_budget(app: Flask, client: FlaskClient, setting: dict[str, Any]) -> None:
    app.config["EMAIL_RENDER_INLINE"] = False  # production: the worker renders the emails
    body = {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": {"name": "Paula Prospect", "email": "paula@example.com", "timezone": "America/New_York"},
    }
    headers = bearer(setting["owner"])
    # Warm, as a running server is: the rules built, the token's last use recorded this minute.
    rules_for(db.session, setting["closer"])
    db.session.commit()
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    with counted() as statements:
        response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    budget = BOOKING_STATEMENTS[db.engine.dialect.name]
    assert len(statements) <= budget, "\n".join(s.split("\n")[0][:100] for s in statements)


def test_a_second_booking_compiles_no_statement(app: Flask, client: FlaskClient, setting: dict[str, Any]) -> None:
    """Every statement of a booking comes from SQLAlchemy's compiled cache once the first has run.

    A construct without a cache key (the dialects' ``insert().on_conflict_do_update()``, which
    the lead upsert used) is compiled again on every request: ≈ 1 ms of CPU per booking.
    """
    app.config["EMAIL_RENDER_INLINE"] = False
    headers = bearer(setting["owner"])

    def book(start: str, email: str) -> None:
        lead = {"name": "Paula Prospect", "email": email, "timezone": "America/New_York"}
        body = {"engagement_id": setting["engagement"].id, "start": start, "channel": "video", "lead": lead}
        response = client.post("/api/v1/appointments", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()

    book("2026-06-02T07:00:00Z", "paula@example.com")
    compiled: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if context is not None and context.compiled is not None and context.cache_hit is not CACHE_HIT:
            compiled.append(f"{context.cache_hit.name}: {statement.split(chr(10))[0][:100]}")

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        book("2026-06-02T08:00:00Z", "other@example.com")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert compiled == []


def test_rules_read_while_another_connection_saves_are_not_cached(setting: dict[str, Any]) -> None:
    """PostgreSQL reads the settings row and its time off in separate statements: a save committed
    between them would mix two versions, so that rule set is used once but not kept. SQLite reads
    one snapshot per transaction, so there the rows are consistent and kept."""
    closer: User = setting["closer"]
    closer_id = closer.id
    db.session.commit()
    with db.engine.begin() as conn:  # a rule set this process has never built
        conn.exec_driver_sql(
            f"UPDATE closer_availability_settings SET rules_etag = 'before' WHERE closer_id = {closer_id}"
        )
    saved: list[bool] = []

    def save_meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM closer_time_off" in statement and not saved:
            saved.append(True)
            with db.engine.begin() as other:  # another process saving between the two reads
                other.exec_driver_sql(
                    f"UPDATE closer_availability_settings SET rules_etag = 'during' WHERE closer_id = {closer_id}"
                )

    event.listen(db.engine, "before_cursor_execute", save_meanwhile)
    try:
        rules_for(db.session, closer)
    finally:
        event.remove(db.engine, "before_cursor_execute", save_meanwhile)
    assert saved
    kept = any(key[0] == "before" for key in closer_rules._RULES_CACHE)
    assert kept == (db.engine.dialect.name == "sqlite")
