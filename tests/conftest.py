"""Shared fixtures: the app on a real database, clients per role, servers.

The database is SQLite (a temporary file, on tmpfs when the machine has ``/dev/shm``) unless
``CLOSERHUB_TEST_DB_URL`` names a PostgreSQL database (``make test`` runs the suite a second time
that way when ``TEST_DATABASE_URL`` is set); see ``tests/fixtures/databases.py``. The schema is
built once per run by the real Alembic migrations; every test starts from empty tables (emptied
after each test). A test that reads the demo asks for the ``demo`` fixture: seeded once per
process, copied into each test (``tests/fixtures/demo.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from closerhub import clock, create_app
from closerhub.accounts import service as accounts
from closerhub.accounts.models import User
from closerhub.extensions import db as _db
from closerhub.extensions import limiter
from tests.fixtures.databases import SHM, database_folder, database_url, no_synchronous_commit

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.browser",
    "tests.fixtures.statements",
    "tests.fixtures.demo",
    "tests.fakes.servers",
    "tests.fakes.radicale",
    "tests.fakes.twilio",
]

PASSWORD = "correct-horse-battery"
IN_CI = os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally with a clear reason; under CI=true a missing server is a failure."""
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the test's own database work;
    Flask would otherwise reuse it for requests, sharing ``g`` (and Flask-Login's cached
    user) and the SQLAlchemy session between the test and every client. The test's own
    session is committed around each request so it neither hides pending changes from
    the request nor keeps a stale snapshot (SQLite) of what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        _db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.commit()
        return response


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests belong to the PostgreSQL run and ``@pytest.mark.sqlite_only``
    ones to the SQLite run: each pass deselects the other's (a deselection, not a skip)."""
    on_pg = os.environ.get("CLOSERHUB_TEST_DB_URL", "").startswith("postgres")
    other_pass = "sqlite_only" if on_pg else "postgres"
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker(other_pass) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _reset_schema(app: Flask) -> None:
    """Start the run from an empty database, then apply every migration."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        if os.environ.get("CLOSERHUB_TEST_SCHEMA") == "create_all":
            # Development shortcut while a model change has no migration yet; CI never sets it,
            # and test_schema.py fails until the migration matches the models.
            _db.create_all()
        else:
            upgrade()


@pytest.fixture(scope="session")
def _app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = database_folder(tmp_path_factory)
    url = database_url(folder)
    if url.startswith("postgresql"):
        no_synchronous_commit(url)
    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        try:
            _db.engine.connect().close()
        except OperationalError as exc:  # a configured but unreachable server
            skip_or_fail(f"test database {url} is unreachable: {exc}")
    _reset_schema(app)  # a broken migration must fail loudly, never skip
    yield app
    with app.app_context():
        _db.engine.dispose()
    if folder.parent == SHM:
        shutil.rmtree(folder, ignore_errors=True)


def _empty_postgres_tables(conn: Any, tables: list[str]) -> None:
    """Empty the tables a test wrote to, fast: most tests touch a handful of ~50 tables.

    A TRUNCATE of every table costs ~0.2 s per test (a new file per table); one query finds
    the non-empty ones, which are emptied with DELETE (triggers, including the append-only
    guards and foreign keys, are off for this transaction only: ``session_replication_role``
    needs the superuser the test database runs as) and their id sequences restarted. Never
    TRUNCATE: the ledger and the audit trail refuse it.
    """
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    dirty = set(conn.execute(text(probe)).scalars())
    if not dirty:
        return
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    for t in tables:  # children first (reversed dependency order)
        if t in dirty:
            conn.execute(text(f'DELETE FROM "{t}"'))
    serial = sorted(t for t in dirty if _has_serial_id(t))
    if serial:
        restarts = ", ".join(f"setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)" for t in serial)
        conn.execute(text(f"SELECT {restarts}"))


def _has_serial_id(table: str) -> bool:
    column = _db.metadata.tables[table].c.get("id")
    return column is not None and column.primary_key and column.type.python_type is int


def _empty_sqlite_tables(conn: Any, tables: list[str]) -> None:
    """Empty every table, the append-only ones too: their DELETE guards are dropped and re-created
    inside this transaction (SQLite's DDL is transactional), so no other connection ever sees the
    tables unguarded and the app has no switch that turns the guards off."""
    guards = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND upper(sql) LIKE '%BEFORE DELETE ON%'")
    ).all()
    for name, _sql in guards:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    for t in tables:
        conn.execute(text(f'DELETE FROM "{t}"'))
    for _name, sql in guards:
        conn.exec_driver_sql(sql)


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _empty_postgres_tables(conn, tables)
            else:
                _empty_sqlite_tables(conn, tables)
                conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first() else None


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app with empty tables; an app context is pushed for the test's direct DB use."""
    saved = dict(_app.config)
    ctx = _app.app_context()
    ctx.push()
    try:
        yield _app
    finally:
        _db.session.remove()
        ctx.pop()
        _app.config.clear()
        _app.config.update(saved)
        _truncate_all(_app)
        limiter.reset()


@pytest.fixture
def db(app: Flask) -> Any:
    """The Flask-SQLAlchemy handle (``db.session`` is the request-scoped session)."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    """Turn CSRF protection on for one test (the testing profile switches it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@dataclass
class UserFactory:
    app: Flask
    counter: int = 0

    def __call__(
        self,
        role: str = "closer",
        *,
        email: str | None = None,
        name: str | None = None,
        timezone: str = "Europe/Paris",
        language: str = "en",
        business_name: str | None = None,
        password: str = PASSWORD,
        approved: bool = True,
        verified: bool = True,
    ) -> User:
        """Create a user through the real sign-up service.

        The user's email comes out verified (``verified=False`` leaves it unverified, as a
        real sign-up does), and a closer approved by vetting (``approved=False`` leaves them
        in review): most tests need closers businesses can find and engage.
        """
        self.counter += 1
        email = email or f"{role}{self.counter}@example.com"
        if role == "admin":
            return accounts.create_admin(
                _db.session, email=email, password=password, name=name or "Ada Admin", now=clock.utcnow()
            )
        data = accounts.SignupData(
            email=email,
            password=password,
            name=name or f"{role.title()} {self.counter}",
            role=role,
            timezone=timezone,
            language=language,
            business_name=business_name or (f"Business {self.counter}" if role == "business" else None),
        )
        user = accounts.signup(_db.session, data, now=clock.utcnow())
        if verified:
            verify_email(user)
        if role == "closer" and approved:
            approve_closer(user)
        return user


def verify_email(user: User) -> None:
    """Mark the user's email as verified (what clicking the emailed link does), committed."""
    from closerhub.accounts.verification import mark_verified
    from closerhub.booking.guard import take_write_lock

    take_write_lock(_db.session)  # see approve_closer: the sign-up's emails may be committing
    mark_verified(_db.session, user, actor="test fixture", now=clock.utcnow())
    _db.session.commit()


def approve_closer(user: User) -> None:
    """Mark a closer as vetted and approved (what an admin does on /admin/vetting), committed."""
    from closerhub.booking.guard import take_write_lock
    from closerhub.vetting.service import mark_approved

    # The sign-up's welcome email may be committing from the delivery thread right now: on
    # SQLite a read transaction cannot then become a writer, so take the write lock first.
    take_write_lock(_db.session)
    mark_approved(_db.session, user, actor="test fixture", now=clock.utcnow())
    _db.session.commit()


@pytest.fixture
def make_user(app: Flask) -> UserFactory:
    return UserFactory(app)


class AuthActions:
    """Log a test client in and out through the real login form (flaskr's ``auth`` fixture)."""

    def __init__(self, client: FlaskClient):
        self._client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def _logged_in(app: Flask, user: User) -> FlaskClient:
    c = app.test_client()
    response = AuthActions(c).login(user.email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return c


@pytest.fixture
def closer(make_user: UserFactory) -> User:
    return make_user("closer", email="closer@example.com", name="Claire Closer")


@pytest.fixture
def business_user(make_user: UserFactory) -> User:
    return make_user("business", email="owner@acme.example", name="Omar Owner", business_name="Acme Coaching")


@pytest.fixture
def admin_user(make_user: UserFactory) -> User:
    return make_user("admin", email="admin@example.com")


@pytest.fixture
def closer_client(app: Flask, closer: User) -> FlaskClient:
    return _logged_in(app, closer)


@pytest.fixture
def business_client(app: Flask, business_user: User) -> FlaskClient:
    return _logged_in(app, business_user)


@pytest.fixture
def admin_client(app: Flask, admin_user: User) -> FlaskClient:
    return _logged_in(app, admin_user)
