"""Pytest fixtures for the two Stripe test servers, both reached over real HTTP by the real SDK.

- ``connect_fake``: our fake of the Connect endpoints (``tests/fakes/stripe_connect.py``),
  a thread in this process, on a free 127.0.0.1 port; fresh for every test.
- ``localstripe``: the localstripe package (customers, payment methods, payment intents,
  refunds) run as a subprocess once per test session. Its own CLI binds every interface
  (``::``), so we start its aiohttp app ourselves bound to 127.0.0.1 only.

Loaded as a plugin by ``tests/conftest.py``, so every test can ask for these fixtures.
``stripe_settings`` gives the app config that points the gateway at one of them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.stripe_connect import FIXTURES, FakeStripeConnect

TEST_SECRET_KEY = "sk_test_closerhub_fake"
TEST_WEBHOOK_SECRET = "whsec_closerhub_test_secret"
TEST_PUBLISHABLE_KEY = "pk_test_closerhub_fake"


def stripe_settings(api_base: str, **overrides: Any) -> dict[str, Any]:
    """App config for Stripe mode against a test server (few retries, short timeouts)."""
    settings: dict[str, Any] = {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_API_BASE": api_base,
        "STRIPE_MAX_NETWORK_RETRIES": 2,
        "STRIPE_TIMEOUT_SECONDS": 5,
    }
    settings.update(overrides)
    return settings


def skip_or_fail(reason: str) -> None:
    # tests.conftest.skip_or_fail, repeated: importing conftest from a plugin it loads would be circular.
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def connect_fake() -> Iterator[FakeStripeConnect]:
    """A fresh fake of Stripe's Connect endpoints for one test."""
    if not FIXTURES.exists():
        skip_or_fail(f"Stripe's fixtures are missing at {FIXTURES} (vendored from ../shared/stripe)")
    fake = FakeStripeConnect().start()
    try:
        yield fake
    finally:
        fake.stop()


_LOCALSTRIPE = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None, access_log=None)"
)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe on a free 127.0.0.1 port for the whole run; yields its base URL."""
    try:
        import localstripe as _  # noqa: F401
    except ImportError:
        skip_or_fail("localstripe is not installed (pip install -r requirements.txt)")
    port = _unused_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                skip_or_fail(f"localstripe exited with code {proc.returncode}: {err}")
            try:
                r = requests.get(f"{url}/v1/customers", auth=(TEST_SECRET_KEY, ""), timeout=1)
                if r.status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                skip_or_fail(f"localstripe did not answer on {url} within 30 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
