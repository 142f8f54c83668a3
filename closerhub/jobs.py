"""Scheduled jobs and the ``flask worker`` command that runs them (never inside web workers).

Each job is a thin wrapper: open an app context, call one service function with the
clock's ``now``, log what it did. Jobs are safe to run twice and from two workers,
because the service functions claim rows atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from closerhub import clock
from closerhub.extensions import db

log = logging.getLogger(__name__)


def deliver_outbox(app: Flask) -> int:
    """Send pending emails (retries with backoff are handled by the service)."""
    from closerhub.notifications.delivery import deliver_pending

    with app.app_context():
        try:
            return deliver_pending(db.session, clock.utcnow())
        finally:
            db.session.remove()


def refresh_availability_summaries(app: Flask) -> int:
    """Recompute every closer's availability summary for search (free-slot counts shift as time passes)."""
    from closerhub.closers.summary import refresh_all_summaries

    with app.app_context():
        try:
            return refresh_all_summaries(db.session, clock.utcnow())
        finally:
            db.session.remove()


# (job id, function, trigger kwargs): later issues add reminders, sweeps and payouts here.
JOBS: list[tuple[str, Callable[[Flask], object], dict[str, object]]] = [
    ("deliver_outbox", deliver_outbox, {"trigger": "interval", "seconds": 30}),
    ("refresh_availability_summaries", refresh_availability_summaries, {"trigger": "interval", "minutes": 15}),
]


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for job_id, func, trigger in JOBS:
        # coalesce + max_instances=1: a slow run is never stacked on itself in one worker.
        scheduler.add_job(func, args=[app], id=job_id, coalesce=True, max_instances=1, **trigger)  # type: ignore[arg-type]
    return scheduler


def init_app(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run every job once and exit (for cron or tests).")
    def worker_command(once: bool) -> None:
        """Run the scheduled jobs (outbox delivery; reminders, sweeps and payouts as they land)."""
        if once:
            for job_id, func, _trigger in JOBS:
                click.echo(f"{job_id}: {func(app)}")
            return
        scheduler = build_scheduler(app)
        log.info("Worker started with jobs: %s", ", ".join(j[0] for j in JOBS))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            log.info("Worker stopped")
