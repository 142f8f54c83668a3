"""closerhub.outbound: the rules for server-side requests to user-given URLs, against real local servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from flask import Flask

import config
from closerhub import outbound
from tests.fakes import POLL


@pytest.fixture
def server() -> Iterator[dict[str, str]]:
    """Two loopback servers: ``main`` redirects as its path says, ``other`` is another origin."""
    urls: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/elsewhere":
                self.send_response(302)
                self.send_header("Location", urls["other"] + "/feed.ics")
                self.end_headers()
            elif self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/feed.ics")
                self.end_headers()
            elif self.path == "/slow":
                time.sleep(3)
                self.send_response(200)
                self.end_headers()
            else:
                body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(2)]
    for name, srv in zip(("main", "other"), servers, strict=True):
        urls[name] = f"http://127.0.0.1:{srv.server_address[1]}"
        threading.Thread(target=srv.serve_forever, kwargs=POLL, daemon=True).start()
    try:
        yield urls
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_when_not_allowed(url: str) -> None:
    with pytest.raises(outbound.OutboundError, match="private or local address"):
        outbound.check_url(url, allow_private_addresses=False)


def test_the_production_profile_refuses_private_addresses_and_testing_allows_them(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "ENCRYPTION_KEYS"):
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv("OUTBOUND_ALLOW_PRIVATE", raising=False)
    assert config.production()["OUTBOUND_ALLOW_PRIVATE"] is False
    assert config.testing()["OUTBOUND_ALLOW_PRIVATE"] is True


def test_only_http_and_https_without_credentials_are_accepted() -> None:
    for url in ("ftp://example.com/x", "file:///etc/passwd", "gopher://x", "http://", "https://u:p@example.com/"):
        with pytest.raises(outbound.OutboundError):
            outbound.check_url(url, allow_private_addresses=True)


def test_a_redirect_to_another_origin_is_refused_and_one_on_the_same_origin_is_followed(
    app: Flask, server: dict[str, str]
) -> None:
    with pytest.raises(outbound.OutboundError, match="redirected to another address"):
        outbound.fetch(server["main"] + "/elsewhere")
    assert outbound.fetch(server["main"] + "/moved").body.startswith(b"BEGIN:VCALENDAR")


def test_a_slow_server_is_cut_off_at_the_configured_timeout(app: Flask, server: dict[str, str]) -> None:
    app.config["OUTBOUND_TIMEOUT_SECONDS"] = 1
    try:
        started = time.monotonic()
        with pytest.raises(outbound.OutboundError, match="did not answer within 1 seconds"):
            outbound.fetch(server["main"] + "/slow")
        assert time.monotonic() - started < 2.5
    finally:
        app.config["OUTBOUND_TIMEOUT_SECONDS"] = 10


class _Counting(BaseHTTPRequestHandler):
    """Answers 200 to anything and counts what reached it."""

    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        _Counting.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_refused_before_anything_is_sent(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the check's lookup sees a public address, the connection's own lookup gets
    127.0.0.1. The peer the socket reached is checked before the request is written: nothing
    reaches the private server, for a feed read (GET) and a webhook (POST) alike."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=receiver.serve_forever, kwargs=POLL, daemon=True).start()
    _Counting.seen = []
    url = f"http://localhost:{receiver.server_address[1]}/hook"
    try:
        assert outbound.fetch(url, allow_private_addresses=True).body == b"ok"  # it is reachable
        assert _Counting.seen == ["GET /hook"]
        monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])  # the first answer
        with pytest.raises(outbound.OutboundError, match="private or local address"):
            outbound.fetch(url, allow_private_addresses=False)
        with pytest.raises(outbound.OutboundError, match="private or local address"):
            outbound.post(url, b"{}", headers={}, allow_private_addresses=False)
        assert _Counting.seen == ["GET /hook"]
    finally:
        receiver.shutdown()
        receiver.server_close()
