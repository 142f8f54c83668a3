"""Benchmark: the analytics pages at scale (issue 18), on PostgreSQL.

Seeds, once (``--reuse`` skips it when the database already holds the volumes), with the
marketplace of ``bench/matching.py`` (2,000 closers, 4 businesses of 500 closers, no calls)
and then bulk ``INSERT … SELECT generate_series`` in SQL:

- business 1 ("Business 1", owner ``owner1@bench.example``): its 500 closers hold 110 calls
  each, 18 h apart, over the last 80 days (55,000 appointments) and every call that is over
  and held or missed has its outcome (~50,000 outcomes: won, lost with a reason, follow-up,
  not a fit, no-show; techniques; a few disputed and voided);
- the other 1,500 closers hold 630 calls each, 6 h apart, over the last 150 days and the next
  few (945,000 appointments): 1,000,000 appointments on the platform.

Then it requests, in-process through the Flask test client with the clock frozen at
``bench.matching.NOW``, the business owner's and an admin's ``/analytics`` (default period,
12 weeks, and 26 weeks) and their CSV exports, and prints the median and p95 server time,
the process CPU per request and the statements sent.

    createdb -h 127.0.0.1 -U postgres wt_perf                         # once
    .venv/bin/python bench/analytics.py --database postgresql://postgres@127.0.0.1:5432/wt_perf
    .venv/bin/python bench/analytics.py --database ... --reuse       # only the requests

The admin's call counts come from the worker's pre-aggregates (``closerhub.analytics.refresh``):
after seeding, the bench sums them (``rebuild``, what ``flask analytics-rebuild`` runs) and times
it; ``--reuse`` runs the worker's refresh (the dirty days, if any). The pages are measured
twice (admin and business): BEFORE (the live scan, ``aggregates.serves`` forced off) and AFTER (the sums).

Target (issue 18): each page under 250 ms of server time. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from sqlalchemy import Engine, event, func, select, text

from bench.matching import NOW, _user, prepare_schema, seed
from closerhub import clock, create_app
from closerhub.accounts.models import Role, User
from closerhub.analytics import aggregates
from closerhub.analytics.refresh import rebuild, refresh
from closerhub.booking.models import Appointment
from closerhub.extensions import db

CLOSERS = 2000
ADMIN_ID = 9000
OWNER_EMAIL = "owner1@bench.example"

APPOINTMENTS_SQL = """
INSERT INTO appointments (uid, business_id, offer_id, engagement_id, closer_id, lead_id, starts_at, ends_at,
    blocked_until, status, channel, meeting_url, prospect_timezone, answers, guests, booked_via, sequence,
    reschedule_count, cancelled_at, prospect_confirmed_at, reminder_24h_sent_at, routing_reason,
    created_at, updated_at)
SELECT 'bench-a-' || c || '-' || k, b, b, c, c, (b - 1) * 2000 + (c * 7 + k) % 2000 + 1, s, s + interval '30 minutes',
    s + interval '30 minutes',
    CASE WHEN s + interval '30 minutes' > :now THEN (CASE WHEN h % 10 = 0 THEN 'cancelled' ELSE 'booked' END)
         WHEN h % 20 = 0 THEN 'cancelled' WHEN h % 20 < 4 THEN 'no_show' ELSE 'completed' END,
    'video', 'https://meet.example/bench', 'Europe/Paris', '[]', '[]', 'api', 0, 0,
    CASE WHEN h % 10 = 0 THEN s - interval '1 day' END,
    CASE WHEN h % 3 = 0 THEN s - interval '20 hours' END,
    CASE WHEN h % 9 <> 0 THEN s - interval '24 hours' END,
    '', s - interval '3 days', s - interval '3 days'
FROM (
    SELECT c, k, (c - 1) / 500 + 1 AS b, (c * 31 + k * 17) % 20 AS h,
        CASE WHEN c <= 500 THEN :now - interval '80 days' + k * interval '18 hours'
             ELSE :now - interval '150 days' + k * interval '6 hours' END + (c % 7) * interval '5 minutes' AS s
    FROM generate_series(1, :closers) AS c
    CROSS JOIN LATERAL generate_series(0, CASE WHEN c <= 500 THEN 109 ELSE 629 END) AS k
) AS g
"""

OUTCOMES_SQL = """
INSERT INTO outcomes (appointment_id, closer_id, business_id, engagement_id, result, status, deal_amount,
    deal_currency, lost_reason, lost_reason_text, objections, technique, buying_signals, next_step, notes,
    rate_bps, fee_bps, commission_basis, commission_amount, platform_fee_amount, revision, recorded_at,
    updated_at, confirm_deadline, disputed_at, dispute_reason)
SELECT id, closer_id, business_id, engagement_id, r,
    CASE WHEN r = 'won' AND id % 50 = 0 THEN 'disputed' WHEN r = 'won' AND id % 97 = 0 THEN 'voided'
         ELSE 'confirmed' END,
    CASE WHEN r = 'won' THEN 200000 + (id % 7) * 50000 END, CASE WHEN r = 'won' THEN 'EUR' END,
    CASE WHEN r = 'lost' THEN (ARRAY['price','timing','authority','need','competitor','trust','other'])[id % 7 + 1] END,
    '', '[]',
    CASE WHEN r <> 'no_show' AND id % 8 <> 0 THEN
        (ARRAY['assumptive','alternative_choice','summary','direct_ask','trial_close','other'])[id % 6 + 1] END,
    '[]', '', '',
    CASE WHEN r = 'won' THEN 1500 END, CASE WHEN r = 'won' THEN 500 END, 'contract_value',
    CASE WHEN r = 'won' THEN (200000 + (id % 7) * 50000) * 15 / 100 END,
    CASE WHEN r = 'won' THEN (200000 + (id % 7) * 50000) * 5 / 100 END,
    1, ends_at, ends_at, ends_at + interval '3 days',
    CASE WHEN r = 'won' AND id % 50 = 0 THEN ends_at + interval '1 day' END,
    CASE WHEN r = 'won' AND id % 50 = 0 THEN 'Bench dispute' END
FROM (
    SELECT a.*, CASE WHEN a.status = 'no_show' THEN 'no_show'
                     ELSE (ARRAY['won','won','won','lost','lost','lost','lost','follow_up','not_a_fit'])[a.id % 9 + 1]
                END AS r
    FROM appointments a WHERE a.business_id = 1 AND a.status IN ('completed', 'no_show')
) AS held
"""


def seeded() -> bool:
    try:
        return (db.session.scalar(select(func.count(Appointment.id))) or 0) >= 1_000_000
    except Exception:  # no schema yet
        db.session.rollback()
        return False


def build() -> None:
    """Empty the database, migrate, seed the volumes above (a few minutes)."""
    prepare_schema()
    started = time.perf_counter()
    seed(CLOSERS, 0)
    db.session.execute(
        db.insert(User).values(_user(ADMIN_ID, "admin@bench.example", "Bench admin", Role.ADMIN, "Europe/Paris"))
    )
    params = {"now": NOW, "closers": CLOSERS}
    db.session.execute(text(APPOINTMENTS_SQL), params)
    db.session.execute(text(OUTCOMES_SQL))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("appointments", "outcomes", "users")}
    print(f"seeded {counts} in {time.perf_counter() - started:.1f} s (load average {os.getloadavg()[0]:.1f})")


def _login(app: Flask, email: str) -> Any:
    """A test client logged in as ``email`` (requests must run outside an app context: Flask-Login keeps
    the user in ``g``, which an enclosing app context would share between clients)."""
    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        session_id = user.get_id()
        db.session.remove()  # type: ignore[attr-defined]  # the scoped session
    with client.session_transaction() as s:
        s["_user_id"] = session_id
        s["_fresh"] = True
    return client


def time_page(engine: Engine, client: Any, url: str, requests: int) -> dict[str, float]:
    """``requests`` GETs of ``url`` after one warm-up: median/p95 wall ms, median CPU ms, max statements."""
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    walls, cpus, counts = [], [], []
    event.listen(engine, "before_cursor_execute", note)
    try:
        for _ in range(requests):
            statements.clear()
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            counts.append(len(statements))
            assert response.status_code == 200, (url, response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    walls.sort()
    return {
        "median": statistics.median(walls),
        "p95": walls[max(0, int(len(walls) * 0.95) - 1)],
        "cpu": statistics.median(cpus),
        "statements": max(counts),
        "bytes": len(response.data),
    }


PAGES = [
    ("business", OWNER_EMAIL, "/analytics"),
    ("business", OWNER_EMAIL, "/analytics?weeks=26"),
    ("business", OWNER_EMAIL, "/analytics/by_closer.csv"),
    ("business", OWNER_EMAIL, "/analytics/revenue_by_closer.csv"),
    ("admin", "admin@bench.example", "/analytics"),
    ("admin", "admin@bench.example", "/analytics?weeks=26"),
    ("admin", "admin@bench.example", "/analytics/weekly.csv"),
]


def summarise(app: Flask, seeded_now: bool) -> None:
    """Sum the pre-aggregates: all of them after a fresh seed, else the days changed since (the worker's run)."""
    with app.app_context():
        started = time.perf_counter()
        if seeded_now:
            slots = rebuild(db.engine, NOW)
            what = f"rebuild: {slots} slots"
        else:
            what = f"refresh: {refresh(db.engine, NOW)} dirty days"
        took = time.perf_counter() - started
        tables = ("analytics_slots", "analytics_closer_days", "analytics_closer_weeks")
        rows = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
        print(f"aggregates {what} in {took:.1f} s, {rows} (load {os.getloadavg()[0]:.1f})")
        db.session.remove()  # type: ignore[attr-defined]  # the scoped session
        # What autovacuum does after the rebuild emptied analytics_dirty (a million rows from the seed's triggers).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE analytics_dirty, " + ", ".join(tables)))


def measure(app: Flask, requests: int, profile: str | None) -> None:
    with app.app_context():
        engine = db.engine
    serves = aggregates.serves
    with clock.frozen_at(NOW):
        for role, email, url in PAGES:
            client = _login(app, email)
            # BEFORE: the live scan; AFTER: the sums (admins' and businesses' call counts).
            aggregates.serves = lambda scope, weeks: False
            try:
                _print(role, url, "BEFORE", time_page(engine, client, url, requests))
            finally:
                aggregates.serves = serves
            _print(role, url, "AFTER", time_page(engine, client, url, requests))
        if profile:
            role, email, url = next(p for p in PAGES if f"{p[0]} {p[2]}" == profile)
            client = _login(app, email)
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(3):
                client.get(url)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def _print(role: str, url: str, when: str, f: dict[str, float]) -> None:
    print(
        f"{when:<6} {role:<8} {url:<36} median {f['median']:7.1f} ms  p95 {f['p95']:7.1f} ms  CPU {f['cpu']:7.1f} ms  "
        f"statements {f['statements']:>3}  {f['bytes'] / 1024:6.0f} KiB  (load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="PostgreSQL URL; emptied unless --reuse finds the volumes")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it is already seeded")
    parser.add_argument("--requests", type=int, default=9, help="timed requests per page")
    parser.add_argument("--profile", help='cProfile one page after timing, e.g. "business /analytics"')
    args = parser.parse_args()
    url = args.database
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        fresh = not (args.reuse and seeded())
        if fresh:
            build()
        db.session.remove()  # type: ignore[attr-defined]  # the scoped session
    summarise(app, fresh)
    measure(app, args.requests, args.profile)


if __name__ == "__main__":
    main()
