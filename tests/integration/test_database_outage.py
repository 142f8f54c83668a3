"""When the database is down, every request is a 503 that says so, and the service comes back by itself.

Real outages, not mocks: a PostgreSQL cluster of the test's own (initdb in a temporary
directory, its own port) stopped and started under the running app; a SQLite database
file whose directory disappears. Before, each was a 500 page. Now: 503 with
``Retry-After`` and "temporarily unavailable; nothing was saved" on pages and in API
problem details (code ``database_unavailable``), ``/healthz`` 503; and the first request
after the database is back succeeds, with nothing restarted or reset (the pool pings).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask, request
from flask_migrate import upgrade
from sqlalchemy import text

from closerhub import create_app
from closerhub.accounts.models import User
from closerhub.extensions import db
from tests.conftest import IsolatedClient, UserFactory, _logged_in
from tests.integration.pg_cluster import Cluster
from tests.integration.test_api_accounts import bearer

UNAVAILABLE_EN = "temporarily unavailable; nothing was saved"
UNAVAILABLE_FR = "momentanément indisponible ; rien n’a été enregistré"


def _reads_the_database_first() -> None:
    """A before_request hook that queries, as a feature's hook would (only when asked: ``?hook=1``)."""
    if request.args.get("hook"):
        db.session.execute(text("SELECT 1"))


def _outage_app(url: str) -> Flask:
    """The app on ``url`` with the schema of the migrations and the query-first hook."""
    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    app.before_request(_reads_the_database_first)
    with app.app_context():
        upgrade()
    return app


class Site:
    """The app, a logged-in business owner's browser and API headers, made while the database is up."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        owner = UserFactory(app)("business", email=f"owner{time.monotonic_ns()}@example.com")
        self.owner_id = owner.id
        self.api = bearer(owner)
        db.session.commit()
        self.browser = _logged_in(app, owner)

    def owner_language(self) -> str:
        db.session.rollback()
        return db.session.get(User, self.owner_id).language  # type: ignore[union-attr]


def _is_unavailable_page(response: Any, words: str = UNAVAILABLE_EN) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("Retry-After") == "5"
        and words in response.get_data(as_text=True)
    )


def _is_unavailable_problem(response: Any) -> bool:
    problem = response.get_json(force=True)
    return (
        response.status_code == 503
        and response.headers.get("Retry-After") == "5"
        and response.mimetype == "application/problem+json"
        and problem["code"] == "database_unavailable"
        and UNAVAILABLE_EN in problem["detail"]
    )


# --- PostgreSQL: a cluster of the test's own -----------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    pg = Cluster()
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="module")
def pg_app(cluster: Cluster) -> Iterator[Flask]:
    app = _outage_app(cluster.url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def pg_site(cluster: Cluster, pg_app: Flask) -> Iterator[Site]:
    if not cluster.is_running():  # a failed test may have left it stopped
        cluster.start()
    with pg_app.app_context():
        yield Site(pg_app)
        db.session.remove()


@pytest.mark.postgres
def test_while_postgresql_is_stopped_every_request_is_a_503_and_the_first_one_after_it_is_back_succeeds(
    cluster: Cluster, pg_site: Site
) -> None:
    site = pg_site
    assert site.browser.get("/dashboard").status_code == 200  # the pool now holds a live connection
    cluster.stop("fast")  # its sessions are ended; then the port refuses connections

    # The logged-in user cannot even be loaded; the answer is drawn without the database.
    assert _is_unavailable_page(site.browser.get("/dashboard"))
    assert _is_unavailable_page(site.browser.get("/dashboard", headers={"Accept-Language": "fr"}), UNAVAILABLE_FR)
    # A change, refused: told in the language just chosen (from memory), and nothing saved.
    assert _is_unavailable_page(site.browser.post("/language/fr"), UNAVAILABLE_FR)
    assert _is_unavailable_problem(site.app.test_client().get("/api/v1/me", headers=site.api))
    assert _is_unavailable_page(site.app.test_client().get("/?hook=1"))  # a visitor, in a before_request hook
    health = site.app.test_client().get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.get_json()["database"] == "unreachable"

    cluster.start()  # nothing else: no restart of the app, no reset of its pool
    assert site.app.test_client().get("/healthz").status_code == 200
    assert site.browser.get("/dashboard").status_code == 200
    assert site.app.test_client().get("/api/v1/me", headers=site.api).status_code == 200
    assert site.owner_language() == "en"  # the refused change was not saved


def _backend_waiting_on_a_lock(conn: psycopg.Connection[Any]) -> int | None:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return int(row[0]) if row else None


@pytest.mark.postgres
def test_a_request_whose_connection_the_server_ends_mid_commit_is_a_503_and_the_next_one_succeeds(
    cluster: Cluster, pg_site: Site
) -> None:
    # A failover or an operator ending sessions (57P01) while the request commits its change.
    site, answer = pg_site, {}
    other = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres")
    try:
        other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE", (site.owner_id,))  # the row the commit needs

        def choose_french() -> None:
            with site.app.app_context():
                answer["response"] = site.browser.post("/language/fr", headers={"Accept-Language": "en"})

        thread = threading.Thread(target=choose_french)
        thread.start()
        deadline, waiting = time.monotonic() + 10, None
        while waiting is None and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = _backend_waiting_on_a_lock(other)
        assert waiting is not None, "the request never waited on the row lock"
        other.execute("SELECT pg_terminate_backend(%s)", (waiting,))
        thread.join(20)
    finally:
        other.rollback()
        other.close()
    response = answer["response"]
    # Told in the language just chosen (kept in memory), though nothing was saved.
    assert _is_unavailable_page(response, UNAVAILABLE_FR)
    assert site.owner_language() == "en"
    again = site.browser.post("/language/fr")
    assert again.status_code == 302
    assert site.owner_language() == "fr"


@pytest.mark.postgres
def test_a_request_caught_in_a_server_crash_is_a_503_and_requests_succeed_once_it_has_recovered(
    cluster: Cluster, pg_site: Site
) -> None:
    # A backend dies (SIGKILL): the server ends every other session (57P02, or the connection just drops) and recovers.
    site, answer = pg_site, {}
    other = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres")
    try:
        other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE", (site.owner_id,))
        victim = int(other.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]

        def choose_french() -> None:
            with site.app.app_context():
                answer["response"] = site.browser.post("/language/fr", headers={"Accept-Language": "en"})

        thread = threading.Thread(target=choose_french)
        thread.start()
        deadline = time.monotonic() + 10
        while _backend_waiting_on_a_lock(other) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)
        thread.join(20)
    finally:
        other.close()
    assert _is_unavailable_page(answer["response"], UNAVAILABLE_FR)
    deadline = time.monotonic() + 30
    while site.app.test_client().get("/healthz").status_code != 200:  # crash recovery: 57P03 meanwhile
        assert time.monotonic() < deadline, cluster.log()
        time.sleep(0.1)
    assert site.owner_language() == "en"
    assert site.browser.post("/language/fr").status_code == 302
    assert site.owner_language() == "fr"


@pytest.mark.postgres
def test_a_restart_between_two_requests_goes_unnoticed(cluster: Cluster, pg_site: Site) -> None:
    # The pool's connections died with the old server; each is pinged before use and replaced.
    site = pg_site
    assert site.browser.get("/dashboard").status_code == 200
    cluster.stop("fast")
    cluster.start()
    assert site.browser.get("/dashboard").status_code == 200
    assert site.app.test_client().get("/api/v1/me", headers=site.api).status_code == 200


@pytest.mark.postgres
def test_a_server_that_is_shutting_down_refuses_new_connections_and_that_is_a_503(
    cluster: Cluster, pg_site: Site
) -> None:
    # A smart shutdown waits for open sessions but refuses new ones (57P03, "shutting down").
    site = pg_site
    lingering = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres")
    try:
        db.engine.dispose()  # the app holds no connection: its next request needs a new one
        cluster.stop("smart", wait=False)
        deadline = time.monotonic() + 10
        response = site.app.test_client().get("/api/v1/me", headers=site.api)
        while response.status_code == 200 and time.monotonic() < deadline:  # the signal takes a moment
            time.sleep(0.05)
            db.engine.dispose()
            response = site.app.test_client().get("/api/v1/me", headers=site.api)
        assert _is_unavailable_problem(response)
        assert _is_unavailable_page(site.browser.get("/dashboard"))
    finally:
        lingering.close()
    cluster.wait_until_stopped()
    cluster.start()
    assert site.app.test_client().get("/api/v1/me", headers=site.api).status_code == 200


# --- SQLite: the database file out of reach ---------------------------------------------------


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[tuple[Site, Path]]:
    folder = tmp_path / "data"
    folder.mkdir()
    app = _outage_app(f"sqlite:///{folder / 'closerhub.sqlite'}")
    with app.app_context():
        yield Site(app), folder
        db.session.remove()
        db.engine.dispose()


def test_a_sqlite_database_file_out_of_reach_is_a_503_until_it_is_back(sqlite_site: tuple[Site, Path]) -> None:
    site, folder = sqlite_site
    assert site.browser.get("/dashboard").status_code == 200
    away = folder.with_name("unmounted")
    folder.rename(away)  # the disk is gone: "unable to open database file"
    try:
        db.engine.dispose()  # a new worker process: no connection opened before the outage
        assert _is_unavailable_page(site.browser.get("/dashboard"))
        assert _is_unavailable_page(site.browser.post("/language/fr"), UNAVAILABLE_FR)
        assert _is_unavailable_problem(site.app.test_client().get("/api/v1/me", headers=site.api))
        assert _is_unavailable_page(site.app.test_client().get("/?hook=1"))
        assert site.app.test_client().get("/healthz").status_code == 503
    finally:
        away.rename(folder)
    assert site.app.test_client().get("/healthz").status_code == 200  # back, nothing restarted
    assert site.browser.get("/dashboard").status_code == 200
    assert site.owner_language() == "en"


# --- every connection of the pool is in use ------------------------------------------------------


def test_a_request_that_finds_the_connection_pool_full_is_a_busy_503_and_the_next_one_succeeds(app: Flask) -> None:
    """Every connection of a process's pool is held (slow requests, a stuck job): a request that
    waits ``pool_timeout`` for one gets the busy 503 with Retry-After, not a 500; once one is
    returned, requests succeed. Was: SQLAlchemy's TimeoutError, a 500 page."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2, "pool_pre_ping": True}
    small = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    small.test_client_class = IsolatedClient
    small.before_request(_reads_the_database_first)
    with small.app_context():
        site = Site(small)
        db.session.remove()
        engine = db.engine
    held = engine.connect()  # the pool's only connection
    try:
        page = site.browser.get("/dashboard?hook=1")
        problem = small.test_client().get("/api/v1/me?hook=1", headers=site.api)
    finally:
        held.close()
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    assert "nothing was saved" in page.get_data(as_text=True)
    assert problem.status_code == 503 and problem.get_json(force=True)["code"] == "busy"
    assert site.browser.get("/dashboard?hook=1").status_code == 200
    with small.app_context():
        db.engine.dispose()
