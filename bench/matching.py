"""Benchmark: closer search on a large marketplace.

Seeds N closers (profiles, 1–3 languages, 1–3 industries, weekly hours in their own zone
and the precomputed availability summary that search reads), then times the search the
way a business runs it (`available_within_days=7` plus a language and a prospect zone).

    .venv/bin/python bench/matching.py                       # SQLite file, 10,000 closers
    .venv/bin/python bench/matching.py --closers 50000
    .venv/bin/python bench/matching.py --database postgresql://postgres@127.0.0.1:5432/bench

The database is emptied first (SQLite: a fresh file; PostgreSQL: schema dropped). Prints
the seed time, the median and p95 search latency, and the rows each search ranked.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from closerhub import create_app
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.closers.models import (
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    LanguageLevel,
)
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core import matching
from closerhub.extensions import db
from closerhub.matching import service

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZONES = [
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
    "Europe/Berlin",
]
LANGS = ["en", "fr", "es", "de", "pt", "it", "nl", "ar", "hi", "ja"]
BATCH = 5000


def seed(n: int) -> float:
    rng = random.Random(42)
    week = matching.reference_week_start(NOW.date())
    started = time.perf_counter()
    users, profiles, languages, industries, summaries = [], [], [], [], []
    for i in range(1, n + 1):
        zone = rng.choice(ZONES)
        users.append(
            {
                "id": i,
                "email": f"closer{i}@bench.example",
                "name": f"Closer {i}",
                "password_hash": "x",
                "role": Role.CLOSER,
                "status": AccountStatus.ACTIVE,
                "timezone": zone,
                "language": "en",
                "created_at": NOW,
            }
        )
        profiles.append(
            {
                "id": i,
                "user_id": i,
                "headline": f"Closer {i} for {rng.choice(list(INDUSTRIES))}",
                "bio": "",
                "years_experience": rng.randint(0, 20),
                "min_rate_bps": rng.randint(10, 20) * 100,
                "meeting_mode": "generated_room",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        for code in rng.sample(LANGS, rng.randint(1, 3)):
            languages.append({"profile_id": i, "code": code, "level": rng.choice(list(LanguageLevel))})
        for ind in rng.sample(list(INDUSTRIES), rng.randint(1, 3)):
            industries.append({"profile_id": i, "industry": ind})
        # Usual week: 09:00–17:00 local on weekdays, approximated by the zone's offset this week.
        offset = NOW.astimezone(__import__("zoneinfo").ZoneInfo(zone)).utcoffset() or timedelta(0)
        intervals = [
            (week + timedelta(days=d, hours=9) - offset, week + timedelta(days=d, hours=17) - offset) for d in range(5)
        ]
        free = rng.randint(0, 40)
        summaries.append(
            {
                "closer_id": i,
                "next_available_at": NOW + timedelta(hours=rng.randint(1, 24 * 30)) if free else None,
                "free_slots_7d": free,
                "free_slots_14d": free * 2,
                "weekly_minutes": [],
                "weekly_hours_mask": matching.mask_to_hex(matching.weekly_mask(intervals, week)),
                "refreshed_at": NOW,
            }
        )
    for model, rows in (
        (User, users),
        (CloserProfile, profiles),
        (CloserLanguage, languages),
        (CloserIndustry, industries),
        (AvailabilitySummary, summaries),
    ):
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(model), rows[start : start + BATCH])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def run(database: str, closers: int, searches: int) -> None:
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        from flask_migrate import upgrade

        upgrade()
        seeded = seed(closers)
        rng = random.Random(7)
        timings, sizes = [], []
        for _ in range(searches):
            query = service.clean_query(
                language=rng.choice(LANGS), available_within_days=7, prospect_timezone=rng.choice(ZONES)
            )
            started = time.perf_counter()
            page = service.search_closers(db.session, query, now=NOW, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
            sizes.append(page.total)
            db.session.rollback()
        broad = service.clean_query(available_within_days=7)
        started = time.perf_counter()
        widest = service.search_closers(db.session, broad, now=NOW, limit=20)
        broad_ms = (time.perf_counter() - started) * 1000
    timings.sort()
    print(f"database        {db.engine.dialect.name if False else database.split(':')[0]}")
    print(f"closers         {closers:,}")
    print(f"seed            {seeded:.1f} s")
    print(f"searches        {searches} (language + available_within_days=7 + prospect zone)")
    print(f"median          {statistics.median(timings):.1f} ms")
    print(f"p95             {timings[int(len(timings) * 0.95) - 1]:.1f} ms")
    print(f"ranked rows     median {int(statistics.median(sizes)):,} per search")
    print(f"widest search   available_within_days=7 only: {widest.total:,} closers ranked in {broad_ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--closers", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=40)
    args = parser.parse_args()
    database = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    if database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://") :]
    run(database, args.closers, args.searches)


if __name__ == "__main__":
    main()
