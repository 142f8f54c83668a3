"""Benchmark: every closer's balances from 1,000,000 ledger entries (PostgreSQL).

Seeds ``--closers`` closers (default 10,000) and ``--entries`` ledger entries (default
1,000,000) with set-based ``INSERT … SELECT generate_series`` (seconds, not minutes):
commissions earned in pending, half of them released (pending −x, available +x), a
third of those paid out (available −x, paid +x), some reversals, in three currencies.
Then it times, with warm caches (median of ``--runs``):

- ``payments.ledger.balances(session)``: every closer's pending/available/paid per currency,
  one ``GROUP BY closer, currency, bucket`` (the target is under 1 s);
- one closer's balances (the earnings page and ``GET /closers/me/balance``);
- the admin dashboard's figures: totals per currency and bucket, open disputes.

    .venv/bin/python bench/ledger.py --database postgresql://postgres@127.0.0.1:5432/bench

The database's public schema is dropped and rebuilt with ``create_all`` (the ledger's
migration is pending; switch to ``flask_migrate.upgrade`` once it lands), which also
installs the append-only triggers. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from closerhub import create_app
from closerhub.extensions import db
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import LedgerEntry

SEED_USERS = """
INSERT INTO users (id, email, name, password_hash, role, status, timezone, language, created_at)
SELECT g, 'closer' || g || '@bench.example', 'Closer ' || g, 'x', 'closer', 'active', 'Europe/Paris', 'en', now()
FROM generate_series(1, :closers) AS g
"""
# Each group of 6 rows is one outcome's life: earned; released (2 rows); paid out (2 rows) or a reversal.
SEED_ENTRIES = """
INSERT INTO ledger_entries (closer_id, currency, bucket, amount, kind, memo, created_at)
SELECT 1 + (g / 6) % :closers,
       (ARRAY['EUR', 'USD', 'GBP'])[1 + (g / 6 / :closers) % 3],
       (ARRAY['pending', 'pending', 'available', 'available', 'paid', 'pending'])[1 + g % 6],
       (ARRAY[1, -1, 1, -1, 1, 1])[1 + g % 6] * (1000 + (g / 6) % 90000),
       (ARRAY['earned', 'released', 'released', 'paid_out', 'paid_out', 'earned'])[1 + g % 6],
       '', now() - (g % 365) * interval '1 day'
FROM generate_series(0, :entries - 1) AS g
"""


def timed(label: str, runs: int, fn: Callable[[], object]) -> object:
    result = fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    print(f"{label:<48} median {statistics.median(samples) * 1000:8.1f} ms   max {max(samples) * 1000:8.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="postgresql://… (emptied first)")
    parser.add_argument("--closers", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("bench/ledger.py needs PostgreSQL")
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        start = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text(SEED_USERS), {"closers": args.closers})
            conn.execute(text("SELECT setval('users_id_seq', :n)"), {"n": args.closers})
            conn.execute(text(SEED_ENTRIES), {"closers": args.closers, "entries": args.entries})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE ledger_entries"))
        print(f"seeded {args.entries:,} entries for {args.closers:,} closers in {time.perf_counter() - start:.1f} s")

        session = db.session
        rows = timed("all balances (GROUP BY closer, currency, bucket)", args.runs, lambda: ledger.balances(session))
        print(f"  → {len(rows):,} (closer, currency) balances")  # type: ignore[arg-type]
        timed("one closer's balances", args.runs * 20, lambda: ledger.balances(session, 4242 % args.closers + 1))

        def admin_figures() -> tuple[object, object]:
            totals = session.execute(
                select(LedgerEntry.currency, LedgerEntry.bucket, func.sum(LedgerEntry.amount)).group_by(
                    LedgerEntry.currency, LedgerEntry.bucket
                )
            ).all()
            disputes = session.scalar(select(func.count(Outcome.id)).where(Outcome.status == OutcomeStatus.DISPUTED))
            return totals, disputes

        timed("admin figures (totals per currency/bucket, disputes)", args.runs, admin_figures)
        plan = session.execute(
            text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT closer_id, currency, bucket, sum(amount) FROM ledger_entries "
                "GROUP BY closer_id, currency, bucket"
            )
        ).scalars()
        print("plan:\n  " + "\n  ".join(plan))


if __name__ == "__main__":
    main()
