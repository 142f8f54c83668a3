"""Benchmark: one worker drains a backlog of webhook deliveries to a loopback receiver.

Builds a fresh database with the real migrations (a temporary SQLite file, or ``--database``),
one business with one endpoint on a local receiver (a ThreadingHTTPServer on 127.0.0.1 that
answers 200), records ``--events`` events with ``webhooks.emit`` (one delivery each), then
calls ``deliver_due`` batch after batch in this one process, as the worker's job does, until
the backlog is drained. Prints events/s and the p50/p99 delivery delay (from the start of the
drain to the receiver taking the request).

``--reminders N`` also seeds N calls booked two days earlier whose 24 h reminder falls due at the
start of the drain (one closer each: a closer's booked calls cannot overlap), and drains as the
real worker does: the ``deliver_webhooks`` and ``send_appointment_reminders`` jobs of
``closerhub.jobs`` on their own intervals (5 s and 1 min, both firing at the start), each in its
own thread of an APScheduler scheduler (``coalesce``, ``max_instances=1``, as ``build_scheduler``
adds them). It then prints the p50/p99 delay from each reminder's due instant to its claim
(``reminder_24h_sent_at``) beside the drain figures.

    .venv/bin/python bench/webhooks.py                     # SQLite, 10,000 events
    .venv/bin/python bench/webhooks.py --database postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/webhooks.py --database postgresql://... --reminders 200

Target (issue 20): 10,000 events drained in under 60 s on the 2-core machine, while reminders
still go out on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
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


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else float("nan")


def _drain(deliver_due: Any, session: Any) -> int:
    """The backlog, batch after batch in this thread, until nothing is due."""
    sent = 0
    while done := deliver_due(session, datetime.now(UTC)):
        sent += done
    return sent


def _seed_reminders(app: Any, n: int) -> list[int]:
    """``n`` booked calls in a month, one closer each (moved by ``_make_due`` once all are seeded)."""
    if not n:
        return []
    from tests.conftest import UserFactory
    from tests.factories_booking import make_appointment, make_lead, make_world

    users = UserFactory(app)
    owner = users("business", name="Bench Owner")
    ids = []
    for _i in range(n):
        world = make_world(users, owner=owner)
        call = make_appointment(world, make_lead(world), start=datetime.now(UTC) + timedelta(days=30))
        ids.append(call.id)
    return ids


def _make_due(ids: list[int], due_at: datetime) -> datetime:
    """Move the calls to start 24 h after ``due_at``, booked two days before it: their 24 h reminder
    falls due at ``due_at`` (one statement, after the seeding, so its length does not count)."""
    from sqlalchemy import update

    from closerhub.booking.models import Appointment
    from closerhub.extensions import db

    if ids:
        start, booked = due_at + timedelta(hours=24), due_at - timedelta(days=2)
        db.session.execute(
            update(Appointment)
            .where(Appointment.id.in_(ids))
            .values(
                starts_at=start,
                ends_at=start + timedelta(minutes=45),
                blocked_until=start + timedelta(minutes=45),
                created_at=booked,
                updated_at=booked,
            )
        )
        db.session.commit()
    return due_at


def _drain_like_the_worker(app: Any, events: int, reminder_runs: list[float]) -> int:
    """The two jobs on their intervals, each in its own scheduler thread, until the backlog is drained
    and the reminder job has run once."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import func, select

    from closerhub.extensions import db
    from closerhub.jobs import deliver_webhooks, send_appointment_reminders
    from closerhub.webhooks.models import DeliveryStatus, WebhookDelivery

    scheduler = BackgroundScheduler(timezone="UTC")
    now = datetime.now(UTC)
    for func_, seconds, sink in ((deliver_webhooks, 5, None), (send_appointment_reminders, 60, reminder_runs)):

        def run(job: Any = func_, out: list[float] | None = sink) -> None:
            begun = time.monotonic()
            done = job(app)
            if out is not None and done:  # a run that claimed reminders: how long until its last commit
                out.append(time.monotonic() - begun)

        scheduler.add_job(run, "interval", seconds=seconds, next_run_time=now, coalesce=True, max_instances=1)
    scheduler.start()
    try:
        while True:
            time.sleep(0.5)
            with app.app_context():
                waiting = db.session.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.status == DeliveryStatus.PENDING)
                )
                db.remove_session()
            if not waiting and reminder_runs:
                break
    finally:
        scheduler.shutdown(wait=True)
    return events - int(waiting or 0)


def _reminder_delays(ids: list[int], due_at: datetime) -> list[float | None]:
    """Seconds from each call's 24 h due instant to its claim; None for one not claimed."""
    from sqlalchemy import select

    from closerhub.booking.models import Appointment
    from closerhub.extensions import db

    if not ids:
        return []
    db.session.rollback()
    claims = db.session.scalars(select(Appointment.reminder_24h_sent_at).where(Appointment.id.in_(ids))).all()
    return [(c.replace(tzinfo=c.tzinfo or UTC) - due_at).total_seconds() if c else None for c in claims]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--reminders", type=int, default=0, help="calls whose 24 h reminder is due at the drain's start"
    )
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    if url.startswith("postgresql://"):  # psycopg 3, as config.py does
        url = "postgresql+psycopg://" + url[len("postgresql://") :]

    from flask_migrate import upgrade

    from closerhub import create_app
    from closerhub.businesses.models import Business
    from closerhub.extensions import db
    from closerhub.webhooks.commands import NewEndpoint
    from closerhub.webhooks.delivery import deliver_due
    from closerhub.webhooks.models import WebhookAttempt, WebhookDelivery
    from closerhub.webhooks.service import create_endpoint, emit

    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url, "OUTBOUND_ALLOW_PRIVATE": True})
    arrivals: list[float] = []
    server, hook_url = _receiver(arrivals)
    with app.app_context():
        upgrade()
        db.session.execute(db.delete(WebhookAttempt))  # an earlier run's, before their deliveries
        db.session.execute(db.delete(WebhookDelivery))
        business = Business(name="Bench", created_at=datetime.now(UTC))
        db.session.add(business)
        db.session.flush()
        create_endpoint(
            db.session, business.id, NewEndpoint(url=hook_url, events=("lead.created",)), now=datetime.now(UTC)
        )
        for i in range(args.events):
            emit(
                db.session,
                business.id,
                "lead.created",
                {"id": i, "email": f"lead{i}@example.com"},
                now=datetime.now(UTC),
            )
            if i % 1000 == 999:
                db.session.commit()
        db.session.commit()
        calls = _seed_reminders(app, args.reminders)
        due_at = _make_due(calls, datetime.now(UTC) + timedelta(seconds=1))
        time.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()))
        started = time.monotonic()
        reminder_runs: list[float] = []
        sent = (
            _drain_like_the_worker(app, args.events, reminder_runs)
            if args.reminders
            else _drain(deliver_due, db.session)
        )
        elapsed = time.monotonic() - started
        reminder_delays = _reminder_delays(calls, due_at)
    server.shutdown()
    delays = sorted(a - started for a in arrivals)
    p99 = _p99(delays)
    print(f"database: {url.split(':')[0]}; events: {args.events}; delivered: {sent}; received: {len(arrivals)}")
    print(f"drain: {elapsed:.1f} s, {sent / elapsed:.0f} events/s")
    print(f"delivery delay from drain start: p50 {statistics.median(delays):.1f} s, p99 {p99:.1f} s")
    if args.reminders:
        late = [d for d in reminder_delays if d is not None]
        print(f"reminders: {len(late)} of {args.reminders} claimed during the drain")
        if late:
            print(f"reminder delay from due to claim: p50 {statistics.median(late):.1f} s, p99 {_p99(late):.1f} s")
        runs = ", ".join(f"{r:.1f} s" for r in reminder_runs)
        print(f"reminder job runs that claimed (start to last commit): {runs}")


if __name__ == "__main__":
    main()
