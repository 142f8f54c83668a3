"""Rate limits hold across several gunicorn workers when they share Redis.

With the default in-memory storage each worker counts on its own, so the real limit
would be the configured one times the number of workers; ``RATELIMIT_STORAGE_URI``
pointing at Redis makes every worker count together. This runs the real server.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:  # noqa: S310  (our own http server)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not become ready")


def _failed_login(base: str, email: str) -> int:
    """One browser-like failed login: fetch the form (CSRF token + cookie), post it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong-guess-123"}).encode()
    try:
        return opener.open(base + "/login", data=body).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def gunicorn_two_workers(app: Flask):
    if not _redis_up():
        skip_or_fail("Redis is not reachable on 127.0.0.1:6379")
    port = _free_port()
    env = {
        **os.environ,
        "CLOSERHUB_ENV": "development",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_login_limit_is_shared_by_all_gunicorn_workers_through_redis(gunicorn_two_workers: str, closer) -> None:
    statuses = [_failed_login(gunicorn_two_workers, closer.email) for _ in range(12)]
    # 10 per minute per client address, whichever worker answers: the 11th is refused.
    assert statuses[:10] == [401] * 10, statuses
    assert statuses[10:] == [429, 429], statuses
