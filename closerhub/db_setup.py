"""Engine-level set-up: SQLite pragmas (WAL, foreign keys) and ``BEGIN IMMEDIATE`` support."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from closerhub.extensions import db


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions break BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _wants_write_lock(conn: Any) -> bool:
    if conn.get_execution_options().get("sqlite_immediate"):
        return True
    # A SQLite transaction that has read cannot start writing once another connection has
    # committed ("database is locked", the busy timeout does not apply). Web requests that
    # may write (POST, PUT, ...) therefore take the write lock first and queue behind
    # each other instead of failing; GETs stay concurrent readers.
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def _sqlite_begin(conn: Any) -> None:
    # Writes that check then insert ask for the write lock up front (see DESIGN.md);
    # a connection opts in with execution_options(sqlite_immediate=True).
    if _wants_write_lock(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def configure_engine(engine: Engine) -> None:
    """Install the SQLite hooks on an engine (no-op for other databases)."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def register_database(app: Flask) -> None:
    """Configure the app's engine once it exists."""
    with app.app_context():
        configure_engine(db.engine)
