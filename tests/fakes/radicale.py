"""A real Radicale CalDAV server for the calendar-sync tests, and a small ICS feed server.

``radicale``: Radicale as a subprocess on a free 127.0.0.1 port, htpasswd authentication
(plain passwords, one user), storage in a temporary folder; fresh for each test that asks.
``ics_server``: a thread serving whatever ICS body the test sets (and a way to stop
answering, for the fail-closed tests).

Loaded as a plugin by ``tests/conftest.py``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.fakes import POLL

RADICALE_USER = "claire"
RADICALE_PASSWORD = "app-password-1234"


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RadicaleServer:
    """A running Radicale: its base URL and the one user's credentials."""

    url: str
    username: str = RADICALE_USER
    password: str = RADICALE_PASSWORD

    def make_calendar(self, name: str) -> str:
        """Create a calendar collection ``name`` under the user's home (MKCALENDAR); returns its URL."""
        url = f"{self.url}/{self.username}/{name}/"
        body = (
            '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>'
            f"{name}</D:displayname></D:prop></D:set></C:mkcalendar>"
        )
        r = requests.request("MKCALENDAR", url, data=body, auth=(self.username, self.password), timeout=10)
        assert r.status_code == 201, r.text
        return url

    def put_event(self, calendar_url: str, uid: str, ics: str) -> None:
        """Store one event (PUT of a whole VCALENDAR)."""
        r = requests.put(
            f"{calendar_url}{uid}.ics",
            data=ics.encode(),
            headers={"Content-Type": "text/calendar"},
            auth=(self.username, self.password),
            timeout=10,
        )
        assert r.status_code in (201, 204), r.text

    def delete_event(self, calendar_url: str, uid: str) -> None:
        r = requests.delete(f"{calendar_url}{uid}.ics", auth=(self.username, self.password), timeout=10)
        assert r.status_code in (200, 204), r.text

    def get_event(self, calendar_url: str, uid: str) -> str | None:
        r = requests.get(f"{calendar_url}{uid}.ics", auth=(self.username, self.password), timeout=10)
        return r.text if r.status_code == 200 else None


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[RadicaleServer]:
    """Radicale on a free loopback port with htpasswd auth and a temporary storage folder."""
    users = tmp_path / "users"
    users.write_text(f"{RADICALE_USER}:{RADICALE_PASSWORD}\n")
    port = _unused_port()
    args = [
        sys.executable,
        "-m",
        "radicale",
        "--config",
        "",
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--auth-type",
        "htpasswd",
        "--auth-htpasswd-filename",
        str(users),
        "--auth-htpasswd-encryption",
        "plain",
        # No pause after a wrong password (Radicale's default is 1 s, against guessing): the write-back
        # tests send a revoked password on purpose, and would wait that second on every attempt.
        "--auth-delay",
        "0",
        "--rights-type",
        "owner_only",
        "--storage-filesystem-folder",
        str(tmp_path / "collections"),
        "--logging-level",
        "warning",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/.web/", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"Radicale did not start: {err}")
                time.sleep(0.1)
        yield RadicaleServer(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class IcsServer:
    """A loopback HTTP server answering ``/feed.ics`` with ``body``; ``answering=False`` makes it hang up."""

    url: str = ""
    body: bytes = b""
    status: int = 200
    answering: bool = True
    etags: bool = False  # answer with an ETag and honour If-None-Match (304)
    not_modified: int = 0
    requests_seen: list[str] = field(default_factory=list)


@pytest.fixture
def ics_server() -> Iterator[IcsServer]:
    """A fresh ICS feed server for one test (thread, 127.0.0.1, free port)."""
    state = IcsServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests_seen.append(self.path)
            if not state.answering:
                self.connection.close()  # the server stops answering: the client sees a broken connection
                return
            etag = f'"{zlib.crc32(state.body):x}"'
            if state.etags and self.headers.get("If-None-Match") == etag and state.status == 200:
                state.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(state.status)
            if state.etags:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/feed.ics"
    thread = threading.Thread(target=server.serve_forever, kwargs=POLL, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
