"""When the database gives up on a request so that another can go on, the answer is "busy, try again".

Real conflicts, not mocks: on PostgreSQL a genuine deadlock between a booking and another
transaction that takes the same two rows in the other order (the detector aborts the booking,
which waited first); on SQLite a write lock held past the busy timeout. Before, both were a
500 page. Now: 503 with ``Retry-After``, nothing saved, and the same request then succeeds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from closerhub.api import idempotency
from closerhub.booking.models import Appointment
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.integration.booking_setup import frozen, lead_data, setting
from tests.integration.test_api_accounts import bearer

__all__ = ["frozen", "setting"]  # fixtures


def _booking(setting: dict[str, Any]) -> dict[str, Any]:
    return {
        "engagement_id": setting["engagement"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": lead_data(email="busy@example.com"),
    }


def _appointments() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Appointment)) or 0


def _waiting_on_a_lock(conn: Any) -> bool:
    conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot otherwise
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    return bool(conn.exec_driver_sql(query).scalar())


@pytest.fixture
def conflicting_transaction(app: Flask, setting: dict[str, Any]) -> Iterator[Any]:
    """Start the booking in a thread and make the database give up on it; yields the thread's response."""
    headers, body, closer_id = (
        bearer(setting["owner"]),
        _booking(setting),
        setting["closer"].id,
    )  # read here: the thread touches no ORM object
    db.session.commit()  # the test's own session holds nothing from here on
    answer: dict[str, Any] = {}

    def book(client: FlaskClient) -> None:
        with app.app_context():  # the client's own bookkeeping needs one in a thread too
            answer["response"] = client.post("/api/v1/appointments", json=body, headers=headers)

    if db.engine.dialect.name == "postgresql":
        # The booking locks the engagement, then its closer; this transaction the closer, then the engagement.
        other = db.engine.connect()
        other.begin()
        # The process that finds a deadlock aborts itself: only the booking's looks (after 1 s).
        other.exec_driver_sql("SET LOCAL deadlock_timeout = '60s'")
        other.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": closer_id})
        thread = threading.Thread(target=book, args=(app.test_client(),))
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(other) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Now a cycle, which the booking's backend finds and ends by aborting the booking.
        other.execute(text("SELECT id FROM engagements WHERE id = :id FOR UPDATE"), {"id": body["engagement_id"]})
        thread.join(20)
        other.rollback()
        other.close()
    else:
        # Another writer holds SQLite's write lock longer than the app's connections wait for it
        # (0.2 s here instead of 10 s: new connections, after the app's own set-up).
        def short_wait(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout=200")

        event.listen(db.engine, "connect", short_wait)
        db.engine.dispose()
        other = db.engine.connect().execution_options(sqlite_immediate=True)
        try:
            with other.begin():  # BEGIN IMMEDIATE (db_setup): the write lock, held until the booking gave up
                book(app.test_client())
        finally:
            other.close()
            event.remove(db.engine, "connect", short_wait)
            db.engine.dispose()
    yield answer["response"]


@contextmanager
def write_lock_held_elsewhere(app: Flask, row: tuple[str, int] | None = None) -> Iterator[None]:
    """Another connection holds the lock the app needs; the app's connections give up after 0.2 s.

    SQLite: the database write lock (a real "database is locked"). PostgreSQL: the row ``row``
    (table, id) locked FOR UPDATE, with the app's lock waits cut to 0.2 s (lock_timeout).
    """
    postgres = db.engine.dialect.name == "postgresql"

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        pragma = "SET lock_timeout = '200ms'" if postgres else "PRAGMA busy_timeout=200"
        cursor = dbapi_connection.cursor()
        cursor.execute(pragma)
        cursor.close()
        if postgres:
            dbapi_connection.commit()

    event.listen(db.engine, "connect", short_wait)
    db.engine.dispose()
    other = db.engine.connect().execution_options(sqlite_immediate=True)
    try:
        with other.begin():
            if postgres and row is not None:
                other.execute(text(f"SELECT id FROM {row[0]} WHERE id = :id FOR UPDATE"), {"id": row[1]})
            yield
    finally:
        other.close()
        event.remove(db.engine, "connect", short_wait)
        db.engine.dispose()


def test_a_request_the_database_gave_up_on_is_told_to_retry_and_saves_nothing(
    client: FlaskClient, setting: dict[str, Any], conflicting_transaction: Any
) -> None:
    response = conflicting_transaction
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "1"
    problem = response.get_json()
    assert problem["code"] == "busy" and "nothing was saved" in problem["detail"]
    assert _appointments() == 0
    again = client.post("/api/v1/appointments", json=_booking(setting), headers=bearer(setting["owner"]))
    assert again.status_code == 201, again.get_json()  # the same request, a moment later
    assert _appointments() == 1


def test_a_logged_in_page_whose_user_cannot_be_read_is_still_answered(app: Flask, setting: dict[str, Any]) -> None:
    # The user's row is what the request needed (SQLite: to read it; PostgreSQL: to change it):
    # the answer must not try it again, and is in the reader's language all the same.
    owner = setting["owner"]
    assert owner.language == "en"
    client = _logged_in(app, owner)
    with write_lock_held_elsewhere(app, ("users", owner.id)):
        response = client.post("/language/fr", headers={"Accept-Language": "en"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "rien n’a été enregistré" in response.get_data(as_text=True)  # the language just chosen, from memory
    db.session.refresh(owner)
    assert owner.language == "en"  # nothing was saved


def test_an_answer_already_committed_stands_when_its_idempotency_record_cannot_be_written(
    app: Flask, client: FlaskClient, setting: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**bearer(setting["owner"]), "Idempotency-Key": "busy-finish-1"}
    body = _booking(setting)
    real_finish = idempotency._finish

    def finish_while_locked(record_id: int, response: Any) -> None:
        with write_lock_held_elsewhere(app, ("idempotency_records", record_id)):
            real_finish(record_id, response)

    monkeypatch.setattr(idempotency, "_finish", finish_while_locked)
    response = client.post("/api/v1/appointments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()  # booked, and told so
    assert _appointments() == 1
    monkeypatch.setattr(idempotency, "_finish", real_finish)
    again = client.post("/api/v1/appointments", json=body, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "idempotency_in_progress"
    assert _appointments() == 1  # never booked twice
