"""Scheduled jobs and the ``flask worker`` command that runs them (never inside web workers).

Each job is a thin wrapper: open an app context, call one service function with the
clock's ``now``, log what it did. Jobs are safe to run twice and from two workers,
because the service functions claim rows atomically.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from closerhub import clock
from closerhub.analytics.refresh import rebuild, refresh
from closerhub.booking.reminders.attendance_jobs import flag_unconfirmed, offer_rebooking
from closerhub.booking.reminders.email import flag_overdue_outcomes as flag_overdue
from closerhub.booking.reminders.email import request_outcomes, send_due_reminders
from closerhub.booking.reminders.sms import send_due_sms_reminders
from closerhub.calendars import writeback
from closerhub.calendars.sync import sync_due
from closerhub.closers.summary import refresh_all_summaries
from closerhub.extensions import db
from closerhub.notifications import sms
from closerhub.notifications.delivery import deliver_pending
from closerhub.notifications.events import handle_due_events
from closerhub.notifications.service import public_url, render_pending
from closerhub.outcomes.instalment_reminders import ask_due_instalments, remind_overdue_instalments
from closerhub.outcomes.settlement import auto_confirm_due
from closerhub.payments.charges.instalments import release_instalments
from closerhub.payments.charges.retries import retry_due_charges
from closerhub.payments.ledger.service import release_available
from closerhub.payments.payouts.service import run_weekly_if_due
from closerhub.webhooks import delivery as webhook_delivery

log = logging.getLogger(__name__)


def deliver_outbox(app: Flask) -> int:
    """Expand the outbox events (a booking's emails and summary), render the emails queued as intents
    (booking notices), then send pending ones (retries: the service)."""

    with app.app_context():
        try:
            handle_due_events(db.session, clock.utcnow())
            render_pending(db.session, clock.utcnow())
            return deliver_pending(db.session, clock.utcnow())
        finally:
            db.remove_session()


def refresh_availability_summaries(app: Flask) -> int:
    """Recompute every closer's availability summary for search (free-slot counts shift as time passes)."""

    with app.app_context():
        try:
            return refresh_all_summaries(db.session, clock.utcnow())
        finally:
            db.remove_session()


def send_appointment_reminders(app: Flask) -> int:
    """Queue the 24 h and 1 h reminders that are due (each claimed once, even with two workers)."""

    with app.app_context():
        try:
            return send_due_reminders(db.session, clock.utcnow())
        finally:
            db.remove_session()


def attendance_jobs(app: Flask) -> int:
    """Flag unconfirmed calls to their closer 2 h before; offer a new time after a prospect no-show (each once)."""

    with app.app_context():
        try:
            now = clock.utcnow()
            return flag_unconfirmed(db.session, now) + offer_rebooking(db.session, now)
        finally:
            db.remove_session()


def sms_reminders(app: Flask) -> int:
    """Queue the due SMS reminders (consent, STOP and quiet hours checked), then send the pending texts."""

    with app.app_context():
        try:
            now = clock.utcnow()
            queued = send_due_sms_reminders(db.session, app.config, now)
            return queued + sms.deliver_due(db.session, app.config, now, public_url("sms.status"))
        finally:
            db.remove_session()


def request_appointment_outcomes(app: Flask) -> int:
    """Ask closers, once per call, to record the outcome of calls that just ended."""

    with app.app_context():
        try:
            return request_outcomes(db.session, clock.utcnow())
        finally:
            db.remove_session()


def flag_overdue_outcomes(app: Flask) -> int:
    """Mark calls without an outcome 48 h after their end, and tell the business once."""

    with app.app_context():
        try:
            return flag_overdue(db.session, clock.utcnow())
        finally:
            db.remove_session()


def auto_confirm_outcomes(app: Flask) -> int:
    """Confirm outcomes whose confirmation window passed without a dispute (each claimed once)."""

    with app.app_context():
        try:
            return auto_confirm_due(db.session, clock.utcnow())
        finally:
            db.remove_session()


def release_commissions(app: Flask) -> int:
    """Move commissions whose clawback hold has passed from pending to available (each outcome and instalment once)."""

    with app.app_context():
        try:
            now = clock.utcnow()
            return release_available(db.session, now) + release_instalments(db.session, now)
        finally:
            db.remove_session()


def ask_instalments(app: Flask) -> int:
    """Ask businesses, once each, to mark instalments that fell due, and remind them of overdue ones."""

    with app.app_context():
        try:
            now = clock.utcnow()
            return ask_due_instalments(db.session, now) + remind_overdue_instalments(db.session, now)
        finally:
            db.remove_session()


def retry_charges(app: Flask) -> int:
    """Retry declined business charges on their schedule and repair interrupted attempts (same key)."""

    with app.app_context():
        try:
            return retry_due_charges(db.session, clock.utcnow())
        finally:
            db.remove_session()


def weekly_payouts(app: Flask) -> object:
    """Run the payouts on the configured weekday (UTC), once that day (the run claims the date)."""

    with app.app_context():
        try:
            report = run_weekly_if_due(db.session, clock.utcnow(), read_clock=clock.utcnow)
            return report.as_dict() if report else None
        finally:
            db.remove_session()


def sync_calendars(app: Flask) -> int:
    """Read the closers' calendar connections that are due (each claimed once, even with two workers)."""

    with app.app_context():
        try:
            return sync_due(db.session, clock.utcnow())
        finally:
            db.remove_session()


def write_back_calendars(app: Flask) -> int:
    """Write booked, rescheduled and cancelled calls into the closers' chosen calendars (retried with backoff)."""

    with app.app_context():
        try:
            return writeback.deliver_due(db.session, clock.utcnow())
        finally:
            db.remove_session()


def deliver_webhooks(app: Flask) -> int:
    """Send due webhook deliveries, batch after batch for up to ~20 s (its own thread: reminders run alongside)."""

    sent = 0
    deadline = time.monotonic() + 20
    with app.app_context():
        try:
            while time.monotonic() < deadline:
                done = webhook_delivery.deliver_due(db.session, clock.utcnow())
                sent += done
                if not done:
                    break
            return sent
        finally:
            db.remove_session()


def refresh_analytics(app: Flask) -> int:
    """Sum again the analytics of the days whose calls changed (the triggers' dirty days); idempotent."""

    with app.app_context():
        try:
            return refresh(db.engine, clock.utcnow())
        finally:
            db.remove_session()


# (job id, function, trigger kwargs): later issues add reminders, sweeps and payouts here.
JOBS: list[tuple[str, Callable[[Flask], object], dict[str, object]]] = [
    # Every 10 s: booking confirmations are rendered (and sent) here, so they leave within ~10 s.
    ("deliver_outbox", deliver_outbox, {"trigger": "interval", "seconds": 10}),
    ("refresh_availability_summaries", refresh_availability_summaries, {"trigger": "interval", "minutes": 15}),
    # Every minute: a 1 h reminder is then at most a minute late.
    ("send_appointment_reminders", send_appointment_reminders, {"trigger": "interval", "minutes": 1}),
    ("attendance_jobs", attendance_jobs, {"trigger": "interval", "minutes": 5}),
    ("sms_reminders", sms_reminders, {"trigger": "interval", "minutes": 1}),
    ("request_appointment_outcomes", request_appointment_outcomes, {"trigger": "interval", "minutes": 5}),
    ("flag_overdue_outcomes", flag_overdue_outcomes, {"trigger": "interval", "minutes": 30}),
    ("auto_confirm_outcomes", auto_confirm_outcomes, {"trigger": "interval", "minutes": 15}),
    ("release_commissions", release_commissions, {"trigger": "interval", "minutes": 60}),
    ("ask_instalments", ask_instalments, {"trigger": "interval", "minutes": 60}),
    # Hourly check; pays only on the payout weekday, once (the day is claimed by a unique row).
    ("weekly_payouts", weekly_payouts, {"trigger": "interval", "minutes": 60}),
    ("retry_charges", retry_charges, {"trigger": "interval", "minutes": 10}),
    # Every minute: each connection is read when CALENDAR_SYNC_MINUTES have passed since its last read.
    ("sync_calendars", sync_calendars, {"trigger": "interval", "minutes": 1}),
    ("write_back_calendars", write_back_calendars, {"trigger": "interval", "seconds": 30}),
    # Every 5 s: a webhook leaves within seconds of the change; a backlog is drained batch after batch.
    ("deliver_webhooks", deliver_webhooks, {"trigger": "interval", "seconds": 5}),
    # Every minute: the admin's analytics read these sums (the page says when they were made).
    ("refresh_analytics", refresh_analytics, {"trigger": "interval", "minutes": 1}),
]


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for job_id, func, trigger in JOBS:
        # coalesce + max_instances=1: a slow run is never stacked on itself in one worker.
        scheduler.add_job(func, args=[app], id=job_id, coalesce=True, max_instances=1, **trigger)
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
        # APScheduler logs every run of every job at INFO (the outbox every 10 s): that buries what the
        # worker has to say (the emails it stores, with their links). Its warnings and errors still show.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        log.info("Worker started with jobs: %s", ", ".join(j[0] for j in JOBS))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            log.info("Worker stopped")

    @app.cli.command("analytics-rebuild")
    def analytics_rebuild_command() -> None:
        """Sum the analytics of every day again from the appointments (existing data, or a repair)."""

        started = time.monotonic()
        slots = rebuild(db.engine, clock.utcnow())
        click.echo(f"analytics summed again: {slots} quarter-hour slots in {time.monotonic() - started:.1f} s")
