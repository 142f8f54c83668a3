"""The worker's booking jobs: 24 h and 1 h reminders exactly once (two worker processes, restarts), outcome nudges."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from closerhub.booking.reminders.email import flag_overdue_outcomes, request_outcomes, send_due_reminders
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.factories_booking import BookingWorld, make_appointment, make_lead, make_world
from tests.integration import reminder_worker
from tests.processes import fresh_processes

START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def world(make_user: Any) -> BookingWorld:
    return make_world(make_user, closer_zone="Europe/Paris")


def reminders() -> Counter[tuple[str, str]]:
    """``(recipient, kind)`` → how many reminder emails were queued."""
    db.session.expire_all()
    rows = db.session.execute(
        select(OutboxMessage.to_address, OutboxMessage.subject).where(OutboxMessage.template == "appointment_reminder")
    )
    return Counter((to, "1h" if subject.startswith("In 1 hour") else "24h") for to, subject in rows)


def emails(template: str) -> Counter[str]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage.to_address).where(OutboxMessage.template == template))
    return Counter(rows)


def run(job: Any, at: datetime) -> int:
    with clock.frozen_at(at):
        return int(job(db.session, at))


# --- the rules, one worker ----------------------------------------------------------------


def test_a_call_booked_days_ahead_gets_one_24h_and_one_1h_reminder_per_person(world: BookingWorld) -> None:
    lead = make_lead(world, email="lea@prospect.example")
    appt = make_appointment(world, lead, start=START, booked_at=START - timedelta(days=3))
    closer = world.closer.email

    assert run(send_due_reminders, START - 24 * H - M) == 0  # not yet
    assert run(send_due_reminders, START - 24 * H + M) == 1
    assert reminders() == {("lea@prospect.example", "24h"): 1, (closer, "24h"): 1}
    assert run(send_due_reminders, START - 24 * H + 2 * M) == 0  # the next run: already claimed
    assert run(send_due_reminders, START - 2 * H) == 0
    assert run(send_due_reminders, START - H + M) == 1
    assert run(send_due_reminders, START - 30 * M) == 0
    assert run(send_due_reminders, START + M) == 0  # started: nothing more
    assert reminders() == {
        ("lea@prospect.example", "24h"): 1,
        (closer, "24h"): 1,
        ("lea@prospect.example", "1h"): 1,
        (closer, "1h"): 1,
    }
    db.session.refresh(appt)
    assert appt.reminder_24h_sent_at == START - 24 * H + M and appt.reminder_1h_sent_at == START - H + M


def test_the_reminder_says_when_in_each_recipients_zone(world: BookingWorld) -> None:
    lead = make_lead(world, email="lea@prospect.example", timezone="America/New_York")
    make_appointment(world, lead, start=START, booked_at=START - timedelta(days=3))
    run(send_due_reminders, START - 20 * H)
    db.session.expire_all()
    rows = {
        m.to_address: m
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "appointment_reminder"))
    }
    assert rows["lea@prospect.example"].subject == "Tomorrow: your call with Claire Closer, Tue, Jan 5, 10:00 AM"
    assert "4:00 PM for the closer, Claire Closer (Paris)" in rows["lea@prospect.example"].text_body
    assert "10:00 for the prospect, Lea Lead (New York)" in rows[world.closer.email].text_body
    assert "/appointments/manage/" in rows["lea@prospect.example"].text_body


def test_a_call_booked_less_than_24h_ahead_gets_only_the_1h_reminder(world: BookingWorld) -> None:
    make_appointment(world, make_lead(world, email="lea@prospect.example"), start=START, booked_at=START - 20 * H)
    assert run(send_due_reminders, START - 19 * H) == 0  # the confirmation was enough
    assert run(send_due_reminders, START - 2 * H) == 0
    assert run(send_due_reminders, START - 50 * M) == 1
    assert reminders() == {("lea@prospect.example", "1h"): 1, (world.closer.email, "1h"): 1}


def test_a_call_booked_less_than_1h_ahead_gets_no_reminder(world: BookingWorld) -> None:
    make_appointment(world, make_lead(world), start=START, booked_at=START - 40 * M)
    for at in (START - 39 * M, START - 10 * M, START - M):
        assert run(send_due_reminders, at) == 0
    assert reminders() == {}


def test_a_reschedule_counts_from_the_time_it_was_moved(world: BookingWorld) -> None:
    appt = make_appointment(
        world, make_lead(world, email="lea@prospect.example"), start=START, booked_at=START - timedelta(days=5)
    )
    # Moved 10 h before the new start: no 24 h reminder for it, the reschedule notice was enough.
    appt.events.append(AppointmentEvent(kind="rescheduled", at=START - 10 * H, actor_label="prospect", to_start=START))
    db.session.commit()
    assert run(send_due_reminders, START - 9 * H) == 0
    assert run(send_due_reminders, START - 59 * M) == 1
    assert reminders() == {("lea@prospect.example", "1h"): 1, (world.closer.email, "1h"): 1}


def test_a_worker_back_inside_the_last_hour_sends_only_the_1h_reminder(world: BookingWorld) -> None:
    make_appointment(
        world, make_lead(world, email="lea@prospect.example"), start=START, booked_at=START - timedelta(days=3)
    )
    assert run(send_due_reminders, START - 30 * M) == 1
    assert run(send_due_reminders, START - 20 * M) == 0
    assert reminders() == {("lea@prospect.example", "1h"): 1, (world.closer.email, "1h"): 1}


def test_cancelled_calls_get_no_reminder(world: BookingWorld) -> None:
    make_appointment(
        world, make_lead(world), start=START, booked_at=START - timedelta(days=3), status=AppointmentStatus.CANCELLED
    )
    assert run(send_due_reminders, START - 20 * H) == 0
    assert run(send_due_reminders, START - 30 * M) == 0
    assert reminders() == {}


# --- two workers, restarts ----------------------------------------------------------------------


def _due_world(world: BookingWorld, count: int = 3) -> tuple[datetime, list[Appointment]]:
    """``count`` calls due for their 24 h reminder and ``count`` for their 1 h one, all at ``now``."""
    now = START - 48 * H
    appts = []
    for i in range(count):
        lead = make_lead(world, email=f"p24-{i}@prospect.example")
        appts.append(make_appointment(world, lead, start=now + 20 * H + i * H, booked_at=now - timedelta(days=3)))
    for i in range(count):
        lead = make_lead(world, email=f"p1-{i}@prospect.example")
        start = now + 10 * M + i * timedelta(minutes=15)  # 15-minute calls, back to back
        appts.append(make_appointment(world, lead, start=start, minutes=15, booked_at=now - timedelta(days=3)))
    return now, appts


def _workers(
    app: Flask, tmp_path: Path, now: datetime, names: list[str], *, rounds: int = 3, extra: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Run one worker process per name, started together; their JSON reports.

    Each is a separate process with its own app, engine and session, forked from a server that
    imported the app once (``tests.processes``) instead of a new ``python`` importing it again."""
    sync = tmp_path / f"sync-{time.monotonic_ns()}"
    sync.mkdir()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()  # nothing of ours holds a lock while they run
    context = fresh_processes()
    argv = [url, now.isoformat(), str(sync)]
    procs = [
        context.Process(
            target=reminder_worker.run_to_file,
            args=([*argv, name, str(rounds), *extra], str(sync / f"report-{name}.json")),
        )
        for name in names
    ]
    for proc in procs:
        proc.start()
    try:
        deadline = time.monotonic() + 60
        while not all((sync / f"ready-{n}").exists() for n in names):
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.is_alive() for p in procs), _reports(sync, names)
            time.sleep(0.02)
        (sync / "go").touch()
        for proc in procs:
            proc.join(timeout=120)
        reports = _reports(sync, names)
        assert all(p.exitcode == 0 for p in procs), reports
        return reports
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()


def _reports(sync: Path, names: list[str]) -> list[dict[str, Any]]:
    files = [sync / f"report-{name}.json" for name in names]
    return [json.loads(f.read_text()) if f.exists() else {"error": "no report"} for f in files]


def _expected(appts: list[Appointment], world: BookingWorld, count: int) -> Counter[tuple[str, str]]:
    expected: Counter[tuple[str, str]] = Counter()
    for i, appt in enumerate(appts):
        kind = "24h" if i < count else "1h"
        expected[(appt.lead.email, kind)] += 1
        expected[(world.closer.email, kind)] += 1
    return expected


def test_two_worker_processes_send_each_reminder_exactly_once(app: Flask, world: BookingWorld, tmp_path: Path) -> None:
    now, appts = _due_world(world)
    # The barrier holds both workers between reading the candidates and claiming them until both
    # have read: each claims rows the other has seen, every round.
    reports = _workers(app, tmp_path, now, ["a", "b"], extra=("--barrier", "2"))
    assert sum(r["claimed"] for r in reports) == len(appts)  # each claim won by exactly one worker
    assert reminders() == _expected(appts, world, 3)  # one per person, call and kind


def test_without_the_claim_two_workers_send_duplicates(app: Flask, world: BookingWorld, tmp_path: Path) -> None:
    """The test can fail: with the claim's condition patched out (``--unguarded``), the race double-sends."""
    now, appts = _due_world(world)
    reports = _workers(app, tmp_path, now, ["a", "b"], rounds=1, extra=("--barrier", "2", "--unguarded"))
    assert sum(r["claimed"] for r in reports) == 2 * len(appts)
    assert reminders() == _expected(appts, world, 3) + _expected(appts, world, 3)  # everyone reminded twice


def test_a_restarted_worker_sends_nothing_again(app: Flask, world: BookingWorld, tmp_path: Path) -> None:
    now, appts = _due_world(world)
    (first,) = _workers(app, tmp_path, now, ["first"], rounds=1)
    assert first["claimed"] == len(appts)
    before = reminders()
    (second,) = _workers(app, tmp_path, now + M, ["restarted"], rounds=1)
    assert second["claimed"] == 0
    assert reminders() == before == _expected(appts, world, 3)


def test_the_worker_command_runs_the_reminder_jobs(app: Flask, world: BookingWorld, runner: Any) -> None:
    now, appts = _due_world(world, count=1)
    with clock.frozen_at(now):
        result = runner.invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "send_appointment_reminders: 2" in result.output
        again = runner.invoke(args=["worker", "--once"])
    assert "send_appointment_reminders: 0" in again.output
    assert reminders() == _expected(appts, world, 1)


# --- outcomes ---------------------------------------------------------------------------------------


def test_the_closer_is_asked_once_for_the_outcome_after_the_call_ends(world: BookingWorld) -> None:
    appt = make_appointment(world, make_lead(world), start=START, minutes=45, booked_at=START - timedelta(days=3))
    end = START + 45 * M
    assert run(request_outcomes, end - M) == 0  # still on the call
    assert run(request_outcomes, end + M) == 1
    assert run(request_outcomes, end + 2 * H) == 0
    assert emails("appointment_outcome_request") == {world.closer.email: 1}
    db.session.refresh(appt)
    assert appt.outcome_requested_at == end + M


def test_calls_with_an_outcome_or_cancelled_are_not_chased(world: BookingWorld) -> None:
    lead = make_lead(world)
    make_appointment(world, lead, start=START, status=AppointmentStatus.COMPLETED, booked_at=START - timedelta(days=3))
    make_appointment(
        world, lead, start=START + 2 * H, status=AppointmentStatus.CANCELLED, booked_at=START - timedelta(days=3)
    )
    assert run(request_outcomes, START + 5 * H) == 0
    assert run(flag_overdue_outcomes, START + 60 * H) == 0
    assert emails("appointment_outcome_request") == {} and emails("appointment_outcome_overdue") == {}


def test_48h_after_the_end_without_outcome_the_call_is_flagged_once_and_the_business_told(
    world: BookingWorld,
) -> None:
    appt = make_appointment(world, make_lead(world), start=START, minutes=45, booked_at=START - timedelta(days=3))
    end = START + 45 * M
    assert run(flag_overdue_outcomes, end + 47 * H) == 0
    assert run(flag_overdue_outcomes, end + 48 * H + M) == 1
    assert run(flag_overdue_outcomes, end + 72 * H) == 0
    db.session.refresh(appt)
    assert appt.outcome_overdue_at == end + 48 * H + M
    assert appt.status == AppointmentStatus.BOOKED  # only flagged: the outcome is still the closer's to record
    assert emails("appointment_outcome_overdue") == {world.owner.email: 1}
    # Past 48 h the closer is no longer asked (the business has been told instead).
    assert run(request_outcomes, end + 72 * H) == 0
