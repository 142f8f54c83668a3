"""Benchmark: closer search on a large marketplace.

Seeds N closers (profiles, 1–3 languages, 1–3 industries, weekly hours in their own zone,
slot length, buffer, some on holiday), a few businesses with offers, an active engagement
per closer, leads, and ``--appointments-per-closer`` calls per closer (default 20, so
200,000 for 10,000 closers): past ones completed / no-show / cancelled, upcoming ones
booked, never overlapping (buffers included, the database guard is on). Then it runs the
real summary refresh (``closers.summary.refresh_all_summaries``, busy time from
``closers.rules.busy_intervals``) and times the search a business runs
(``available_within_days=7`` plus a language and a prospect zone), which reads only the
precomputed summary table.

    .venv/bin/python bench/matching.py                       # SQLite file, 10,000 closers
    .venv/bin/python bench/matching.py --closers 50000
    .venv/bin/python bench/matching.py --database postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/matching.py --reuse --database ...   # only the searches, on an earlier seed

The database is emptied first (SQLite: a fresh file; PostgreSQL: schema dropped) and built
by the real migrations. Prints the seed and refresh times, the median and p95 search
latency and app CPU, the widest search (no filter but availability), and the searches again
after ``gc.freeze()``. Figures and their reading: bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text

from closerhub import create_app
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia, Channel
from closerhub.businesses.models import Business, BusinessMember, MemberRole, Offer
from closerhub.calendars.models import CalendarConnection, ConnectionKind, ConnectionStatus, ExternalBusy
from closerhub.closers.models import (
    AvailabilitySettings,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    LanguageLevel,
    TimeOffRow,
    WeeklyRule,
)
from closerhub.closers.summary import refresh_all_summaries
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.matching import service
from closerhub.matching.commands import CloserSearch

try:  # closer vetting (admins approve closers before search shows them) may not be installed yet
    from closerhub.vetting.models import CloserVetting, VettingStatus
except ImportError:  # pragma: no cover
    CloserVetting = None  # type: ignore[assignment,misc]

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
# Weekly patterns (weekdays, [(start_minute, end_minute)]) in the closer's wall-clock time.
# Gaps between intervals are at least an hour, longer than any buffer below.
PATTERNS = [
    (range(5), [(9 * 60, 12 * 60), (13 * 60, 17 * 60)]),
    (range(5), [(8 * 60, 12 * 60)]),
    (range(1, 6), [(10 * 60, 13 * 60), (14 * 60, 19 * 60)]),
    (range(4), [(17 * 60, 21 * 60)]),
    (range(7), [(9 * 60, 11 * 60), (15 * 60, 18 * 60)]),
]
SLOT_CHOICES = (30, 45, 60)
BUFFER_CHOICES = (0, 10, 15)
PAST_DAYS, FUTURE_DAYS = 28, 21  # appointments fall in [NOW - 28 d, NOW + 21 d)
CLOSERS_PER_BUSINESS = 500
LEADS_PER_BUSINESS = 2000
BATCH = 5000


def _bulk(model: type, rows: list[dict]) -> None:
    """Core INSERTs of the table in batches (one executemany each; no ORM objects, no per-row round trip)."""
    table = model.__table__  # type: ignore[attr-defined]
    for number, start in enumerate(range(0, len(rows), BATCH)):
        db.session.execute(insert(table), rows[start : start + BATCH])
        if number == 0 and table.name == "appointments" and db.engine.dialect.name == "sqlite":
            # Without statistics SQLite plans the overlap trigger's lookup on (status, starts_at), a scan
            # of every booked call before the new one (quadratic over the load); with them it picks
            # (closer_id, starts_at). See bench/README.md: the trigger itself should not depend on this.
            db.session.execute(text("ANALYZE appointments"))


class _Offsets:
    """UTC offset of a zone on a date (at local noon): exact for 08:00–21:00 wall times,
    since no zone here changes its clocks in those hours. Cached: 50 days × 10 zones."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, date], timedelta] = {}

    def utc(self, zone: str, day: date, minute: int) -> datetime:
        key = (zone, day)
        offset = self._cache.get(key)
        if offset is None:
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(zone))
            offset = self._cache[key] = noon.utcoffset() or timedelta(0)
        wall = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
        return wall - offset


def seed(n: int, per_closer: int) -> dict[str, int]:
    """Insert the marketplace; returns row counts by table."""
    rng = random.Random(42)
    offsets = _Offsets()
    n_businesses = max(1, -(-n // CLOSERS_PER_BUSINESS))
    users, profiles, languages, industries, settings, weekly, time_off = [], [], [], [], [], [], []
    businesses, members, offers, engagements, leads, appointments = [], [], [], [], [], []

    for b in range(1, n_businesses + 1):
        owner_id = n + b
        users.append(_user(owner_id, f"owner{b}@bench.example", f"Owner {b}", Role.BUSINESS, "Europe/Paris"))
        businesses.append(
            {
                "id": b,
                "name": f"Business {b}",
                "timezone": "Europe/Paris",
                "currency": "EUR",
                "prospect_languages": [],
                "prospect_timezones": [],
                "created_at": NOW,
            }
        )
        members.append({"business_id": b, "user_id": owner_id, "role": MemberRole.OWNER, "created_at": NOW})
        offers.append(
            {
                "id": b,
                "business_id": b,
                "name": f"Offer {b}",
                "price_amount": 300_000,
                "price_currency": "EUR",
                "booking_questions": [],
                "is_active": True,
                "booking_key": f"bench-offer-{b}",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        for k in range(LEADS_PER_BUSINESS):
            leads.append(
                {
                    "id": (b - 1) * LEADS_PER_BUSINESS + k + 1,
                    "business_id": b,
                    "name": f"Lead {k}",
                    "email": f"lead{k}@prospect{b}.example",
                    "timezone": rng.choice(ZONES),
                    "language": "en",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )

    first_day = (NOW - timedelta(days=PAST_DAYS)).date()
    days = [first_day + timedelta(days=d) for d in range(PAST_DAYS + FUTURE_DAYS)]
    appointment_id = 0
    for i in range(1, n + 1):
        zone = rng.choice(ZONES)
        users.append(_user(i, f"closer{i}@bench.example", f"Closer {i}", Role.CLOSER, zone))
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
        weekdays, intervals = rng.choice(PATTERNS)
        slot, buffer = rng.choice(SLOT_CHOICES), rng.choice(BUFFER_CHOICES)
        settings.append(
            {
                "closer_id": i,
                "slot_minutes": slot,
                "buffer_minutes": buffer,
                "min_notice_minutes": 240,
                "horizon_days": rng.choice((30, 60)),
                "max_per_day": rng.choice((None, None, 6)),
                "updated_at": NOW,
            }
        )
        weekly += [
            {"closer_id": i, "weekday": wd, "start_minute": s, "end_minute": e} for wd in weekdays for s, e in intervals
        ]
        if rng.random() < 0.1:  # on holiday for the coming ten days: filtered out by "within 7 days"
            time_off.append(
                {
                    "closer_id": i,
                    "starts_at": NOW - timedelta(days=1),
                    "ends_at": NOW + timedelta(days=10),
                    "reason": "holiday",
                }
            )

        b = (i - 1) // CLOSERS_PER_BUSINESS + 1
        engagements.append(
            {
                "id": i,
                "business_id": b,
                "offer_id": b,
                "closer_id": i,
                "commission_rate_bps": max(1500, cast(int, profiles[-1]["min_rate_bps"])),
                "status": EngagementStatus.ACTIVE,
                "proposed_at": NOW - timedelta(days=60),
                "accepted_at": NOW - timedelta(days=59),
                "proposed_by_id": n + b,
            }
        )
        # Candidate starts on the closer's wall-clock grid, step = slot + buffer: any subset is free of
        # overlaps, buffers included ([start, end + buffer) never reaches the next candidate).
        step = slot + buffer
        starts = [
            offsets.utc(zone, day, m)
            for day in days
            if day.weekday() in weekdays
            for s, e in intervals
            for m in range(s, e - slot + 1, step)
        ]
        for start in rng.sample(starts, min(per_closer, len(starts))):
            appointment_id += 1
            end = start + timedelta(minutes=slot)
            if end <= NOW:
                status = rng.choices(
                    (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED), (80, 15, 5)
                )[0]
            else:
                status = AppointmentStatus.BOOKED if rng.random() < 0.9 else AppointmentStatus.CANCELLED
            video = rng.random() < 0.7
            appointments.append(
                {
                    "id": appointment_id,
                    "uid": f"bench-{appointment_id}@closerhub",
                    "business_id": b,
                    "offer_id": b,
                    "engagement_id": i,
                    "closer_id": i,
                    "lead_id": (b - 1) * LEADS_PER_BUSINESS + rng.randrange(LEADS_PER_BUSINESS) + 1,
                    "starts_at": start,
                    "ends_at": end,
                    "blocked_until": end + timedelta(minutes=buffer),
                    "status": status,
                    "channel": Channel.VIDEO if video else Channel.PHONE,
                    "meeting_url": f"https://meet.example/bench-{appointment_id}" if video else None,
                    "dial_from": None if video else "closer",
                    "dial_number": None if video else "+33612345678",
                    "prospect_timezone": "Europe/Paris",
                    "answers": [],
                    "booked_via": BookedVia.API,
                    "sequence": 0,
                    "reschedule_count": 0,
                    "cancelled_at": start - timedelta(days=1) if status == AppointmentStatus.CANCELLED else None,
                    "created_at": start - timedelta(days=3),
                    "updated_at": start - timedelta(days=3),
                }
            )

    for model, rows in (
        (User, users),
        (Business, businesses),
        (BusinessMember, members),
        (Offer, offers),
        (CloserProfile, profiles),
        (CloserLanguage, languages),
        (CloserIndustry, industries),
        (AvailabilitySettings, settings),
        (WeeklyRule, weekly),
        (TimeOffRow, time_off),
        (Engagement, engagements),
        (Lead, leads),
        (Appointment, appointments),
    ):
        _bulk(model, rows)
    if CloserVetting is not None:  # every bench closer is approved, as a live marketplace's mostly are
        _bulk(
            CloserVetting,
            [
                {"closer_id": i, "status": VettingStatus.APPROVED, "submitted_at": NOW, "reviewed_at": NOW}
                for i in range(1, n + 1)
            ],
        )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Explicit ids were inserted: move the sequences past them so later inserts (the app) work.
        for table in ("users", "businesses", "offers", "closer_profiles", "engagements", "leads", "appointments"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
        db.session.commit()
    return {
        "closers": n,
        "businesses": n_businesses,
        "leads": len(leads),
        "appointments": len(appointments),
        "weekly intervals": len(weekly),
    }


def _user(uid: int, email: str, name: str, role: Role, zone: str) -> dict:
    return {
        "id": uid,
        "email": email,
        "name": name,
        "password_hash": "x",
        "role": role,
        "status": AccountStatus.ACTIVE,
        "timezone": zone,
        "language": "en",
        "created_at": NOW,
    }


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (both PostgreSQL and SQLite read them)."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _timed_search(query: service.SearchQuery) -> tuple[float, int, float]:
    """One search as a request runs it: wall ms, matches, and this process's CPU ms (robust to a busy machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    page = service.search_closers(db.session, query, now=NOW, limit=20)
    elapsed, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    db.session.rollback()  # each search starts from a fresh transaction, as a request does
    return elapsed, page.total, cpu_ms


def prepare_schema() -> None:
    """An empty database built by the real migrations (PostgreSQL: the schema is dropped first)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    from flask_migrate import upgrade

    upgrade()
    # Tables whose migration other work is still writing (vetting, audit, ...): created from the
    # models. A no-op once the migrations have caught up (create_all skips existing tables).
    db.create_all()


def seed_external_busy(n: int, per_closer: int) -> int:
    """One ICS connection per closer holding ``per_closer`` busy spans (30–120 min) over the next 60 days
    (calendar sync, issue 16): what ``closers.rules.busy_intervals`` then reads beside the calls."""
    rng = random.Random(16)
    _bulk(
        CalendarConnection,
        [
            {
                "closer_id": i,
                "kind": ConnectionKind.ICS,
                "url": f"https://calendar.example/{i}.ics",
                "write_bookings": False,
                "status": ConnectionStatus.OK,
                "sync_state": {},
                "created_at": NOW,
                "last_synced_at": NOW,
                "last_ok_at": NOW,
            }
            for i in range(1, n + 1)
        ],
    )
    db.session.commit()
    ids: dict[int, int] = {
        closer_id: connection_id
        for closer_id, connection_id in db.session.execute(select(CalendarConnection.closer_id, CalendarConnection.id))
    }
    rows = []
    for closer_id in range(1, n + 1):
        for _ in range(per_closer):
            start = NOW + timedelta(minutes=15 * rng.randrange(0, 60 * 24 * 4))
            rows.append(
                {
                    "connection_id": ids[closer_id],
                    "closer_id": closer_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120))),
                }
            )
        if len(rows) >= 100_000:
            _bulk(ExternalBusy, rows)
            rows = []
    _bulk(ExternalBusy, rows)
    db.session.commit()
    return n * per_closer


def build(closers: int, per_closer: int, external_busy: int = 0) -> None:
    """Empty the database, migrate, seed, refresh every summary; prints what it made and how long it took."""
    prepare_schema()
    started = time.perf_counter()
    counts = seed(closers, per_closer)
    if external_busy:
        print(f"calendar busy   {seed_external_busy(closers, external_busy):,} spans ({external_busy} per closer)")
    _analyze()
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    refreshed = refresh_all_summaries(db.session, NOW)
    _analyze()
    refresh_s = time.perf_counter() - started
    booked_ahead = db.session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at >= NOW)
    )
    print(f"closers         {closers:,} ({counts['businesses']} businesses, {counts['leads']:,} leads)")
    print(f"appointments    {counts['appointments']:,} ({booked_ahead:,} booked ahead)")
    print(f"seed            {seeded:.1f} s")
    each = refresh_s / max(refreshed, 1) * 1000
    print(f"refresh         {refresh_s:.1f} s for {refreshed:,} summaries ({each:.2f} ms each)")


def _searches(searches: int) -> tuple[list[float], list[int], list[float]]:
    rng = random.Random(7)
    timings, sizes, cpu = [], [], []
    for _ in range(searches):
        query = service.clean_query(
            CloserSearch(language=rng.choice(LANGS), available_within_days=7, prospect_timezone=rng.choice(ZONES))
        )
        elapsed, total, cpu_ms = _timed_search(query)
        timings.append(elapsed)
        sizes.append(total)
        cpu.append(cpu_ms)
    return sorted(timings), sizes, cpu


def measure(searches: int) -> None:
    """Time the searches on what is in the database (seeded by ``build`` now or by an earlier run).

    Twice: as the app runs today, then after ``gc.freeze()`` (what a gunicorn app does after
    start-up so the cyclic collector stops rescanning the ~200k long-lived objects of the
    app on every full collection a big search triggers; see bench/README.md).
    """
    for _ in range(3):  # warm the caches (the app's first request compiles and loads too)
        _timed_search(
            service.clean_query(CloserSearch(language="fr", available_within_days=7, prospect_timezone="Europe/Paris"))
        )
    timings, sizes, cpu = _searches(searches)
    widest = [_timed_search(service.clean_query(CloserSearch(available_within_days=7)))[:2] for _ in range(5)]
    print(f"searches        {searches} (language + available_within_days=7 + prospect zone)")
    print(f"median          {statistics.median(timings):.1f} ms")
    print(f"p95             {timings[max(0, int(len(timings) * 0.95) - 1)]:.1f} ms")
    print(f"app CPU         median {statistics.median(cpu):.1f} ms per search (this process; SQLite runs inside it)")
    print(f"ranked rows     median {int(statistics.median(sizes)):,} per search")
    widest_ms = statistics.median(t for t, _ in widest)
    print(f"widest search   available_within_days=7 only: {widest[0][1]:,} closers in {widest_ms:.1f} ms (median of 5)")
    gc.freeze()
    timings, _sizes, cpu = _searches(searches)
    print(
        f"after gc.freeze median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[max(0, int(len(timings) * 0.95) - 1)]:.1f} ms, app CPU {statistics.median(cpu):.1f} ms"
    )


def run(database: str, closers: int, per_closer: int, searches: int, *, reuse: bool, external_busy: int = 0) -> None:
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        print(f"database        {db.engine.dialect.name}")
        if not reuse:
            build(closers, per_closer, external_busy)
        measure(searches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--closers", type=int, default=10_000)
    parser.add_argument("--appointments-per-closer", type=int, default=20)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--external-busy", type=int, default=0, help="calendar busy spans per closer (issue 16)")
    parser.add_argument("--reuse", action="store_true", help="time the searches on the already seeded --database")
    args = parser.parse_args()
    if args.reuse and not args.database:
        parser.error("--reuse needs --database (the one an earlier run seeded)")
    database = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    if database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://") :]
    run(
        database,
        args.closers,
        args.appointments_per_closer,
        args.searches,
        reuse=args.reuse,
        external_busy=args.external_busy,
    )


if __name__ == "__main__":
    main()
