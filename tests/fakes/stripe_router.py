"""One Stripe API base for tests that need both test servers: Connect paths go to the Connect
fake, everything else (customers, payment methods, setup and payment intents, charges,
refunds) to localstripe (or to a proxy in front of it).

The gateway has a single ``STRIPE_API_BASE``, as Stripe has a single host; this small
forwarding server on 127.0.0.1 plays that host. It passes the request through untouched
(method, path, query, body, and the headers Stripe reads: the API key, the idempotency
key, the API version) and the answer back with the headers the SDK reads.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from tests.fakes import POLL

# What the Connect fake serves (tests/fakes/stripe_connect.py); the rest is localstripe's.
CONNECT_PREFIXES = ("/v1/accounts", "/v1/account_links", "/v1/transfers")
_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", "stripe-version", "stripe-account")
_ANSWER_HEADERS = ("content-type", "idempotent-replayed", "request-id", "stripe-should-retry")


class StripeRouter:
    """A forwarding server: ``start()`` on a free 127.0.0.1 port, ``url`` for ``STRIPE_API_BASE``."""

    def __init__(self, connect_url: str, rest_url: str):
        self.connect_url = connect_url.rstrip("/")
        self.rest_url = rest_url.rstrip("/")
        self.routed: list[tuple[str, str, str]] = []  # (method, path, "connect" | "rest"), in order
        router = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                path = self.path.split("?", 1)[0]
                to_connect = path.startswith(CONNECT_PREFIXES)
                upstream = router.connect_url if to_connect else router.rest_url
                router.routed.append((method, path, "connect" if to_connect else "rest"))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() in _REQUEST_HEADERS}
                try:
                    r = requests.request(method, upstream + self.path, data=body, headers=headers, timeout=30)
                except requests.RequestException:
                    # The upstream dropped the connection: so does Stripe's host, as far as the SDK can tell.
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(r.status_code)
                for name, value in r.headers.items():
                    if name.lower() in _ANSWER_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def do_DELETE(self) -> None:
                self._forward("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=POLL, name="stripe-router", daemon=True)

    def start(self) -> StripeRouter:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
