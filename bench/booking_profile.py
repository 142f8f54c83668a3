"""In-process cost of one booking: app CPU and SQL statements per ``POST /api/v1/appointments``.

Wall-clock figures on the shared machine swing with its load; the process's own CPU time
per request does not. This seeds the database like ``bench/booking.py`` (same ``seed``),
then books ``--bookings`` distinct free slots through the Flask test client (production
profile, rate limiter off) and prints, beside ``GET /healthz``:

- app CPU ms per request (``time.process_time``; with PostgreSQL the server's own work is not in it),
- SQL statements per request (a ``before_cursor_execute`` counter on the engine),
- with ``--profile``, the top functions of a ``cProfile`` run (CPU clock) over the bookings.

    .venv/bin/python bench/booking_profile.py --database postgresql://postgres@127.0.0.1:5432/bench_booking
    .venv/bin/python bench/booking_profile.py --database ... --profile 30
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet
from sqlalchemy import event

from bench.booking import SLOT_MINUTES, seed, seed_external_busy
from bench.matching import prepare_schema
from closerhub import create_app
from closerhub.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/bench_booking")
    parser.add_argument("--closers", type=int, default=16)
    parser.add_argument("--bookings", type=int, default=60)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of a cProfile run")
    parser.add_argument("--sql", action="store_true", help="print the statements of one booking")
    parser.add_argument(
        "--external-busy", type=int, default=0, help="calendar busy spans per closer, from day 2 on (issue 16)"
    )
    args = parser.parse_args()
    url = args.database
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]

    os.environ.setdefault("SECRET_KEY", "bench")
    # Production requires sealing keys since secrets_box; a throw-away one does for a bench.
    os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ["CLOSERHUB_ENV"] = "production"
    os.environ["RATELIMIT_ENABLED"] = "0"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "PUBLIC_BASE_URL": "http://127.0.0.1:8000"}
    )
    with app.app_context():
        prepare_schema()
        secret, engagement_ids = seed(args.closers)
        if args.external_busy:
            seed_external_busy(engagement_ids, args.external_busy)
        statements: list[str] = []

        cache: list[str] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _params, context, _many) -> None:
            statements.append(statement)
            stats = context._get_cache_stats() if context is not None and context.compiled else "driver SQL"
            cache.append(f"{stats.split(' ')[0]:9} {' '.join(statement.split())[:120]}")

    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    first = (datetime.now(UTC) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)

    def booking(i: int) -> dict:
        start = first + timedelta(minutes=SLOT_MINUTES * (i // len(engagement_ids)))
        return {
            "engagement_id": engagement_ids[i % len(engagement_ids)],
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel": "video",
            "lead": {
                "name": f"Prospect {i}",
                "email": f"prospect{i}@bench.example",
                "timezone": "America/New_York",
                "context": {"needs": "A closing call", "budget": "5k"},
            },
        }

    # Warm up (imports, template compilation, first connections), then freeze as wsgi.py does.
    for _ in range(5):
        client.get("/healthz")
    assert client.post("/api/v1/appointments", json=booking(0), headers=headers).status_code == 201
    gc.collect()
    gc.freeze()

    def measure(label: str, call, n: int) -> None:
        cpu, wall, counts = [], [], []
        for i in range(n):
            statements.clear()
            t0, w0 = time.process_time(), time.perf_counter()
            call(i)
            cpu.append((time.process_time() - t0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            counts.append(len(statements))
        print(
            f"{label:15} app CPU median {statistics.median(cpu):6.2f} ms  mean {statistics.mean(cpu):6.2f} ms  "
            f"wall median {statistics.median(wall):6.2f} ms  SQL statements {statistics.median(counts):.0f}"
        )

    def health(_i: int) -> None:
        assert client.get("/healthz").status_code == 200

    def book(i: int) -> None:
        response = client.post("/api/v1/appointments", json=booking(i + 1), headers=headers)
        assert response.status_code == 201, response.get_json()

    measure("GET /healthz", health, 200)
    measure("POST booking", book, args.bookings)
    if args.sql:
        statements.clear()
        cache.clear()
        book(args.bookings + 1)
        print("compiled-statement cache per statement (cached / generated = compiled anew / no key):")
        for text, n in Counter(cache).most_common():
            print(f"{n:3}  {text}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        base = args.bookings + 10
        profiler.enable()
        for i in range(args.bookings):
            book(base + i)
        profiler.disable()
        if os.environ.get("BENCH_PROFILE_OUT"):
            profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(r"closerhub|idempotency|auth", args.profile)  # our code, cumulative
        stats.sort_stats("tottime").print_stats(args.profile)  # where the CPU itself goes
        print_by_package(stats)


def print_by_package(stats: pstats.Stats) -> None:
    """Own CPU time (cProfile's tottime, so with its overhead) summed by the package it is spent in."""
    totals: Counter[str] = Counter()
    for (path, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in path:
            package = path.split("site-packages/")[1].split("/")[0]
        elif "/closerhub/" in path:
            package = "closerhub/" + path.split("/closerhub/")[1].split("/")[0]
        else:
            package = "python (stdlib, builtins)"
        totals[package] += own
    whole = sum(totals.values())
    print("own CPU by package (cProfile)")
    for package, own in totals.most_common(15):
        print(f"  {own / whole * 100:5.1f} %  {package}")


if __name__ == "__main__":
    main()
