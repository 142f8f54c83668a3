"""A local fake of Twilio's REST API for messages, reached over real HTTP by the real ``twilio`` SDK.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded ``To``, ``From``, ``Body``,
``StatusCallback``; HTTP basic auth with the account SID and auth token) answers 201 with the
JSON shape Twilio documents for a Message resource (``sid`` ``SM…``, ``status`` ``queued``, ...).
A bad ``To`` (not E.164) answers Twilio's 400 error shape (code 21211). Every accepted message
is kept in ``messages`` for the test to read.

``twilio_fake`` is a pytest fixture (a fresh server per test on a free 127.0.0.1 port);
``twilio_settings`` gives the app config that points the SDK at it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.fakes import POLL

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-auth-token"
FROM = "+15005550006"
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                match = _PATH.match(self.path)
                if not match:
                    self._answer(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
                    return
                expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if match["sid"] != ACCOUNT_SID or self.headers.get("Authorization") != expected:
                    self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if not _E164.match(form.get("To", "")):
                    message = f"The 'To' number {form.get('To')} is not a valid phone number."
                    self._answer(400, {"code": 21211, "message": message, "status": 400})
                    return
                sid = "SM" + uuid.uuid4().hex
                with fake.lock:
                    fake.messages.append({"sid": sid, **form})
                self._answer(
                    201,
                    {
                        "account_sid": ACCOUNT_SID,
                        "api_version": "2010-04-01",
                        "body": form.get("Body", ""),
                        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
                        "date_sent": None,
                        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
                        "direction": "outbound-api",
                        "error_code": None,
                        "error_message": None,
                        "from": form.get("From"),
                        "messaging_service_sid": None,
                        "num_media": "0",
                        "num_segments": "1",
                        "price": None,
                        "price_unit": "USD",
                        "sid": sid,
                        "status": "queued",
                        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
                        "to": form.get("To"),
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=POLL, daemon=True)

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def twilio_settings(api_base: str) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM,
        "TWILIO_API_BASE": api_base,
    }


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()
