"""Benchmark: one worker drains a backlog of webhook deliveries to a loopback receiver.

Builds a fresh database with the real migrations (a temporary SQLite file, or ``--database``),
one business with one endpoint on a local receiver (a ThreadingHTTPServer on 127.0.0.1 that
answers 200), records ``--events`` events with ``webhooks.emit`` (one delivery each), then
calls ``deliver_due`` batch after batch in this one process, as the worker's job does, until
the backlog is drained. Prints events/s and the p50/p99 delivery delay (from the start of the
drain to the receiver taking the request).

    .venv/bin/python bench/webhooks.py                     # SQLite, 10,000 events
    .venv/bin/python bench/webhooks.py --database postgresql://postgres@127.0.0.1:5432/bench

Target (issue 20): 10,000 events drained in under 60 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _receiver(arrivals: list[float]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            arrivals.append(time.monotonic())
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hooks"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    if url.startswith("postgresql://"):  # psycopg 3, as config.py does
        url = "postgresql+psycopg://" + url[len("postgresql://") :]

    from flask_migrate import upgrade

    from closerhub import create_app
    from closerhub.businesses.models import Business
    from closerhub.extensions import db
    from closerhub.webhooks.delivery import deliver_due
    from closerhub.webhooks.models import WebhookDelivery
    from closerhub.webhooks.service import create_endpoint, emit

    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url, "OUTBOUND_ALLOW_PRIVATE": True})
    arrivals: list[float] = []
    server, hook_url = _receiver(arrivals)
    with app.app_context():
        upgrade()
        db.session.execute(db.delete(WebhookDelivery))
        business = Business(name="Bench", created_at=datetime.now(UTC))
        db.session.add(business)
        db.session.flush()
        create_endpoint(db.session, business.id, url=hook_url, events=["lead.created"])
        for i in range(args.events):
            emit(db.session, business.id, "lead.created", {"id": i, "email": f"lead{i}@example.com"})
            if i % 1000 == 999:
                db.session.commit()
        db.session.commit()
        started = time.monotonic()
        sent = 0
        while True:
            done = deliver_due(db.session, datetime.now(UTC))
            if not done:
                break
            sent += done
        elapsed = time.monotonic() - started
    server.shutdown()
    delays = sorted(a - started for a in arrivals)
    p99 = delays[int(len(delays) * 0.99) - 1] if delays else float("nan")
    print(f"database: {url.split(':')[0]}; events: {args.events}; delivered: {sent}; received: {len(arrivals)}")
    print(f"drain: {elapsed:.1f} s, {sent / elapsed:.0f} events/s")
    print(f"delivery delay from drain start: p50 {statistics.median(delays):.1f} s, p99 {p99:.1f} s")


if __name__ == "__main__":
    main()
