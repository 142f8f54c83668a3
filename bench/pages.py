"""Benchmark: the public booking page (``/book/<key>``) with 5, 50, 500 engaged closers.

For each size it empties the database, builds it with the real migrations and seeds, with
the bulk inserts of ``bench/matching.py``, N approved closers (weekly hours in 10 zones,
30/45/60-minute slots, buffers, some on holiday) all engaged on one offer, with
``--appointments-per-closer`` calls each (past and upcoming). Then it requests the booking
page in-process through the Flask test client, as a prospect in New York asking for every
hour, and prints per page the median and p95 server time, the process CPU time per request
(contention on a shared machine does not inflate it; PostgreSQL's own CPU is not in it) and
the statements sent (an SQLAlchemy ``before_cursor_execute`` listener). The confirm step
(``/book/<key>/confirm?start=...``) is measured the same way. The first request of each page (cold:
the rules and slot caches hold nothing of these closers yet) is printed apart.

    createdb -h 127.0.0.1 -U postgres wt_bookpage_bench      # once
    .venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/wt_bookpage_bench
    .venv/bin/python bench/pages.py --sizes 5 50 --requests 10  # SQLite file when --database is omitted

Target (issue 18): 500 engaged closers under 150 ms of server time on PostgreSQL, and a
number of statements that does not grow with the closers. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from sqlalchemy import event, select

from bench.matching import NOW, prepare_schema, seed
from closerhub import clock, create_app
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.businesses.models import BusinessMember
from closerhub.extensions import db

OFFER_KEY = "bench-offer-1"  # matching.seed: the first 500 closers are engaged on offer 1
PAGES = {
    "booking page": f"/book/{OFFER_KEY}?tz=America/New_York&hours=all",
    "confirm step": f"/book/{OFFER_KEY}/confirm?start=2026-11-25T15:00:00Z&tz=America/New_York",
}


def _per_closer_pages() -> dict[str, tuple[str, dict[str, str]]]:
    """The reschedule picker of the first upcoming call on the offer (its closer's free times, a month) and
    ``GET /api/v1/closers/{id}/slots`` of that closer for the offer's calls (a week), as the business."""
    appointment = db.session.scalars(
        select(Appointment)
        .where(Appointment.offer_id == 1, Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > NOW)
        .order_by(Appointment.id)
    ).first()
    assert appointment is not None
    member = db.session.scalars(
        select(User).join(BusinessMember).where(BusinessMember.business_id == appointment.business_id)
    ).first()
    assert member is not None
    _token, secret = tokens.create_token(db.session, member, "bench", NOW)
    manage = f"/appointments/manage/{service.manage_token(appointment)}?tz=America/New_York"
    slots = f"/api/v1/closers/{appointment.closer_id}/slots?from=2026-11-23&to=2026-11-29&timezone=America/New_York"
    pages = {
        "reschedule picker": (manage, {}),
        "slot API": (f"{slots}&offer_id=1", {"Authorization": f"Bearer {secret}"}),
    }
    db.session.commit()
    return pages


def _time_page(app: Flask, url: str, requests: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``requests`` GETs of ``url`` after two warm-up ones: wall ms, CPU ms and statements of each."""
    client = app.test_client()
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    firsts = []
    for _ in range(2):  # the first request compiles queries and fills the rules and slot caches
        started = time.perf_counter()
        assert client.get(url, headers=headers or {}).status_code in (200, 400), url
        firsts.append((time.perf_counter() - started) * 1000)
    walls, cpus, counts = [], [], []
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for _ in range(requests):
            statements.clear()
            started, cpu = time.perf_counter(), time.process_time()
            status = client.get(url, headers=headers or {}).status_code
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            counts.append(len(statements))
            assert status in (200, 400), (url, status)  # 400: the confirm step's slot is taken (still a full page)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    walls.sort()
    return {
        "median": statistics.median(walls),
        "p95": walls[max(0, int(len(walls) * 0.95) - 1)],
        "cpu": statistics.median(cpus),
        "statements": max(counts),
        "first": firsts[0],  # cold: nothing of these closers' in the caches yet
    }


def run(database: str | None, sizes: list[int], per_closer: int, requests: int) -> None:
    """Seed and time each size in turn (SQLite: a fresh file each); one line per page and size."""
    os.environ.setdefault("SECRET_KEY", "bench")
    for size in sizes:
        url = database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            prepare_schema()
            started = time.perf_counter()
            counts = seed(size, per_closer)
            db.session.remove()  # type: ignore[attr-defined]  # the scoped session
            seconds = time.perf_counter() - started
            print(
                f"{db.engine.dialect.name}: seeded {size} closers, {counts['appointments']:,} appointments "
                f"in {seconds:.1f} s (load average {os.getloadavg()[0]:.1f})"
            )
            with clock.frozen_at(NOW):
                pages: dict[str, tuple[str, dict[str, str]]] = {
                    name: (url, {}) for name, url in PAGES.items()
                } | _per_closer_pages()
                for name, (page, headers) in pages.items():
                    f = _time_page(app, page, requests, headers)
                    print(
                        f"{size:>4} closers  {name:<17} median {f['median']:7.1f} ms  p95 {f['p95']:7.1f} ms  "
                        f"CPU {f['cpu']:7.1f} ms  statements {f['statements']:>5}  first (cold) {f['first']:7.1f} ms  "
                        f"(load {os.getloadavg()[0]:.1f})"
                    )
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file); it is emptied")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500], help="engaged closers (≤ 500)")
    parser.add_argument("--appointments-per-closer", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page and size")
    args = parser.parse_args()
    if max(args.sizes) > 500:
        parser.error("at most 500 closers: bench/matching.py engages 500 closers per offer")
    database = args.database
    if database and database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://") :]
    run(database, args.sizes, args.appointments_per_closer, args.requests)


if __name__ == "__main__":
    main()
