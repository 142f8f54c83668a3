"""Database building blocks: the declarative base, constraint naming and the UTC type.

Every stored instant is timezone-aware UTC. ``UTCDateTime`` refuses naive datetimes on
the way in and returns aware UTC datetimes on the way out, on SQLite too (which has no
timezone support and would otherwise hand back naive values).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: Alembic needs them to alter constraints later
# (and SQLite batch migrations cannot drop an unnamed constraint).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant, stored as ``timestamptz`` (PostgreSQL) or text (SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("UTCDateTime refuses a naive datetime; pass an aware instant")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite stores text; store naive UTC so string comparison orders correctly.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_T = TypeVar("_T")
_MAX_ID = 2**63  # BIGINT: a larger "id" from a URL or a JSON body would overflow in the driver


def is_plausible_id(raw_id: object) -> bool:
    """An id from the outside world worth a query: an int (not a bool) from 1 to BIGINT's maximum.

    Strings, floats, zero, negatives and values past BIGINT are refused before the query, so
    bad input is a plain "not found" instead of a driver error.
    """
    return type(raw_id) is int and 0 < raw_id < _MAX_ID


def get_by_id(session: Session, model: type[_T], raw_id: object) -> _T | None:
    """``session.get(model, raw_id)`` for an id from the outside world; None unless it is plausible."""
    return session.get(model, raw_id) if is_plausible_id(raw_id) else None


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A string-valued enum column: stored as VARCHAR(20) of the members' values with a CHECK.

    Not a native PostgreSQL ENUM type, so adding a value is a CHECK change (one migration
    line), the same on SQLite and PostgreSQL.
    """
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class Model(DeclarativeBase):
    """Base class of every model (Flask-SQLAlchemy wraps it as ``db.Model``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: SQLSTATEs of a transaction the database gave up on so that another could go on: retrying works.
#: 55P03: lock_not_available, the end of a lock wait when an operator sets ``lock_timeout``.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})  # deadlock, serialization failure, lock timeout


def is_transient(exc: BaseException) -> bool:
    """True for a deadlock victim, a serialization failure or a lock wait that timed out (PostgreSQL's
    lock_timeout, SQLite's busy timeout): nothing was saved, and the same work can succeed a moment later."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    # SQLite: SQLITE_BUSY (5, "database is locked") and SQLITE_LOCKED (6, "database table is locked").
    if (getattr(exc.orig, "sqlite_errorcode", 0) or 0) & 0xFF in (5, 6):
        return True
    return "database is locked" in str(exc.orig)


#: SQLSTATEs of a server that is going away or not there yet: admin shutdown (a restart, a
#: failover), crash shutdown (another backend crashed), cannot connect now (starting up,
#: shutting down, in recovery). Class 08 (connection exceptions) is matched by its prefix.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
#: SQLite's primary result codes of a database file that cannot be used right now: READONLY,
#: IOERR (disk I/O error), FULL (disk full), CANTOPEN (file or directory gone, no permission).
#: Lock errors (BUSY, LOCKED) are "busy" above: the same request can go through in a moment.
UNAVAILABLE_SQLITE_CODES = frozenset({8, 10, 13, 14})


def is_unavailable(exc: BaseException) -> bool:
    """True when the database itself is out of reach: refused or lost connections, a server shutting
    down, starting up or in recovery, SQLite's disk errors. Nothing was saved, and the same request
    succeeds once the database is back (the pool pings connections before use: no restart needed)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # SQLAlchemy recognised a lost connection (and dropped it)
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate in UNAVAILABLE_SQLSTATES or sqlstate.startswith("08")
    if hasattr(orig, "sqlstate"):
        # psycopg: an error without a SQLSTATE never came from the server; on a connection it is
        # the connection itself failing (refused, reset, closed, timed out).
        return isinstance(exc, OperationalError | InterfaceError)
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in UNAVAILABLE_SQLITE_CODES
