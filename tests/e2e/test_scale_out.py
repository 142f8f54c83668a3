"""Scale-out on one machine: two gunicorn instances and two worker processes on one PostgreSQL and one Redis.

The production topology (README, "Running it on several machines") put together on 127.0.0.1:
instances A and B (two gunicorn workers each, their own ports, as two hosts behind a load
balancer), both on the run's PostgreSQL database and on Redis for rate limits, and two
``flask worker --once`` processes started together. Requests alternate between the instances.

- One booking per slot: twelve requests for one closer's slot, spread over both instances,
  give one 201 and eleven 409s; twelve routed requests for another slot of an offer with
  two closers give two bookings, one per closer.
- Rate limits are shared: failed logins alternating between A and B are refused from the
  11th, the limit of one instance.
- Reminders exactly once: the booked calls' 24-hour reminders are due; the two workers
  queue each exactly once (one email to each prospect, one per call to its closer).

The interleavings themselves are forced with barriers in the race tests (``test_booking_race``,
``test_reminders``); this test shows the guarantees hold across processes and hosts' worth of
configuration, with nothing shared but the database and Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.closers.availability_service import replace_availability
from closerhub.closers.commands import AvailabilityChange, WeeklyWindow
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory, skip_or_fail
from tests.e2e.test_gunicorn_rate_limit import _failed_login, _free_port, _redis_up, _wait_ready
from tests.integration.booking_setup import engage
from tests.integration.test_engagements import make_offer

ROOT = Path(__file__).resolve().parents[2]
ALL_WEEK = tuple(WeeklyWindow(d, "00:00", "24:00") for d in range(7))

pytestmark = [pytest.mark.postgres]


def _environment(app: Flask) -> dict[str, str]:
    return {
        **os.environ,
        "CLOSERHUB_ENV": "development",
        "SECRET_KEY": "scale-out-test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": f"scale-{uuid.uuid4().hex}",
    }


@pytest.fixture
def instances(app: Flask) -> Iterator[list[str]]:
    """Two gunicorn instances (two workers each) on their own ports, one database, one Redis."""
    if not _redis_up():
        skip_or_fail("Redis is not reachable on 127.0.0.1:6379")
    env = _environment(app)
    procs: list[subprocess.Popen[str]] = []
    bases: list[str] = []
    try:
        for _ in range(2):
            port = _free_port()
            command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
            procs.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, proc in zip(bases, procs, strict=True):
            _wait_ready(base, proc, timeout=120)  # a loaded CI machine starts four workers slowly
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)


def _post(url: str, body: dict[str, Any], token: str) -> int:
    request = urllib.request.Request(  # noqa: S310  (our own servers on 127.0.0.1)
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        if exc.code == 422:  # a request this test got wrong, not a refusal it expects: say why
            raise AssertionError(exc.read().decode()) from None
        return exc.code


def _closer(make_user: UserFactory, name: str) -> User:
    closer = make_user("closer", timezone="UTC", name=name)
    hours = AvailabilityChange(
        weekly=ALL_WEEK, slot_minutes=60, buffer_minutes=0, min_notice_minutes=60, horizon_days=14
    )
    replace_availability(db.session, closer, hours, now=clock.utcnow())
    return closer


def _lead(n: int) -> dict[str, str]:
    return {
        "name": f"Prospect {n}",
        "email": f"prospect{n}@example.com",
        "phone": "+12125550123",
        "timezone": "America/New_York",
    }


def _spread(bases: list[str], bodies: list[dict[str, Any]], token: str) -> list[int]:
    """POST each body to /api/v1/appointments, alternating instances, all at once."""
    urls = [bases[i % len(bases)] + "/api/v1/appointments" for i in range(len(bodies))]
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(lambda pair: _post(pair[0], pair[1], token), zip(urls, bodies, strict=True)))


def _run_two_workers(app: Flask) -> None:
    env = {**_environment(app), "FLASK_APP": "wsgi"}
    command = [sys.executable, "-m", "flask", "worker", "--once"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output


def test_two_instances_and_two_workers_keep_every_guarantee(
    app: Flask, instances: list[str], make_user: UserFactory
) -> None:
    owner = make_user("business", name="Omar Owner")
    claire, jake = _closer(make_user, "Claire Closer"), _closer(make_user, "Jake Closer")
    offer = make_offer(owner)
    engagement = engage(owner, claire, offer)
    engage(owner, jake, offer)
    _token, secret = tokens.create_token(db.session, owner, "scale-out", clock.utcnow())
    db.session.commit()

    now = clock.utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    second = first + timedelta(hours=2)

    # One closer's slot, asked for twelve times across both instances: one booking.
    named = [
        {"engagement_id": engagement.id, "start": first.isoformat(), "channel": "phone", "lead": _lead(n)}
        for n in range(12)
    ]
    statuses = _spread(instances, named, secret)
    assert Counter(statuses) == {201: 1, 409: 11}, statuses

    # A slot of the offer, routed, asked for twelve times: one booking per closer.
    routed = [
        {"offer_id": offer.id, "start": second.isoformat(), "channel": "video", "lead": _lead(100 + n)}
        for n in range(12)
    ]
    statuses = _spread(instances, routed, secret)
    assert Counter(statuses) == {201: 2, 409: 10}, statuses

    db.session.expire_all()
    booked = db.session.scalars(select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)).all()
    assert sorted((a.starts_at, a.closer_id) for a in booked) == sorted(
        [(first, claire.id), (second, claire.id), (second, jake.id)]
    )

    # Rate limits count across instances (10 failed logins a minute per address, whichever answers).
    logins = [_failed_login(instances[i % 2], claire.email) for i in range(12)]
    assert logins == [401] * 10 + [429, 429], logins

    # The calls were booked two days ago (so their 24-hour reminders are due now), then two
    # workers run every job at once: each reminder is queued exactly once.
    db.session.execute(update(Appointment).values(created_at=now - timedelta(days=2)))
    db.session.commit()
    _run_two_workers(app)

    db.session.expire_all()
    reminders = Counter(
        db.session.scalars(select(OutboxMessage.to_address).where(OutboxMessage.template == "appointment_reminder"))
    )
    prospects = {a.lead.email for a in booked}
    assert {address: reminders[address] for address in prospects} == dict.fromkeys(prospects, 1)
    assert reminders[claire.email] == 2 and reminders[jake.email] == 1
    assert sum(reminders.values()) == 6
    assert all(a.reminder_24h_sent_at is not None for a in db.session.scalars(select(Appointment)))
