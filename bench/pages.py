"""Benchmark: the public booking page (``/book/<key>``) with 5, 50, 500 engaged closers.

For each size it empties the database, builds it with the real migrations and seeds, with
the bulk inserts of ``bench/matching.py``, N approved closers (weekly hours in 10 zones,
30/45/60-minute slots, buffers, some on holiday) all engaged on one offer, with
``--appointments-per-closer`` calls each (past and upcoming). Then it requests the booking
page in-process through the Flask test client, as a prospect in New York asking for every
hour, and prints per page the median and p95 server time, the process CPU time per request
(contention on a shared machine does not inflate it; PostgreSQL's own CPU is not in it) and
the statements sent (an SQLAlchemy ``before_cursor_execute`` listener). The confirm step
(``/book/<key>/confirm?start=...``) is measured the same way.

    createdb -h 127.0.0.1 -U postgres wt_bookingpage_bench      # once
    .venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/wt_bookingpage_bench
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
from sqlalchemy import event

from bench.matching import NOW, prepare_schema, seed
from closerhub import clock, create_app
from closerhub.extensions import db

OFFER_KEY = "bench-offer-1"  # matching.seed: the first 500 closers are engaged on offer 1
PAGES = {
    "booking page": f"/book/{OFFER_KEY}?tz=America/New_York&hours=all",
    "confirm step": f"/book/{OFFER_KEY}/confirm?start=2026-11-25T15:00:00Z&tz=America/New_York",
}


def _time_page(app: Flask, url: str, requests: int) -> dict[str, Any]:
    """``requests`` GETs of ``url`` after two warm-up ones: wall ms, CPU ms and statements of each."""
    client = app.test_client()
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    for _ in range(2):  # the first request compiles queries and fills the rules cache
        assert client.get(url).status_code in (200, 400), url
    walls, cpus, counts = [], [], []
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for _ in range(requests):
            statements.clear()
            started, cpu = time.perf_counter(), time.process_time()
            status = client.get(url).status_code
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
            db.session.remove()
            seconds = time.perf_counter() - started
            print(
                f"{db.engine.dialect.name}: seeded {size} closers, {counts['appointments']:,} appointments "
                f"in {seconds:.1f} s (load average {os.getloadavg()[0]:.1f})"
            )
            with clock.frozen_at(NOW):
                for name, page in PAGES.items():
                    f = _time_page(app, page, requests)
                    print(
                        f"{size:>4} closers  {name:<13} median {f['median']:7.1f} ms  p95 {f['p95']:7.1f} ms  "
                        f"CPU {f['cpu']:7.1f} ms  statements {f['statements']:>5}  "
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
