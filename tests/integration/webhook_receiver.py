"""A real local HTTP receiver for the webhook tests: it verifies every request with standardwebhooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes import POLL


@dataclass
class Received:
    """One request as the receiver saw it, and whether its signature verified."""

    headers: dict[str, str]
    body: bytes
    verified: Any  # the parsed payload, or None when verification failed


@dataclass
class Receiver:
    """Answers with the queued status codes (then 200); ``hang`` holds every request until set."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hang: threading.Event | None = None
    got_one: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            payload = None
        self.received.append(Received(headers, body, payload))
        self.got_one.set()
        if self.hang is not None:
            self.hang.wait(30)
        return self.statuses.pop(0) if self.statuses else 200


def serve(receiver: Receiver) -> Iterator[Receiver]:
    """Run ``receiver`` on 127.0.0.1 (a free port) while the caller's ``with``/fixture lasts."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok " * 2000 if status == 200 else b"boom")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs=POLL, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hang is not None:
            receiver.hang.set()
        server.shutdown()
        server.server_close()
