"""Analytics: show rate by attendance confirmation and by reminder channel (the ``show_up`` table and its CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from closerhub import clock, jobs
from closerhub.booking.models import AppointmentStatus
from closerhub.extensions import db
from closerhub.notifications.sms_models import SmsMessage, SmsStatus
from tests.conftest import _logged_in
from tests.factories_booking import make_appointment, make_lead, make_world

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def test_show_rate_by_confirmation_and_by_reminder_channel(app: Flask, make_user: Any) -> None:
    world = make_world(make_user)

    def call(days_ago: int, status: AppointmentStatus, *, confirmed: bool, channel: str) -> None:
        start = NOW - timedelta(days=days_ago)
        appt = make_appointment(
            world, make_lead(world), start=start, status=status, booked_at=start - timedelta(days=3)
        )
        if confirmed:
            appt.prospect_confirmed_at = start - timedelta(hours=20)
        if channel in ("sms", "email"):
            appt.reminder_24h_sent_at = start - timedelta(hours=24)
        if channel == "sms":
            db.session.add(
                SmsMessage(
                    to_number="+12125550123",
                    body="x",
                    kind="reminder_24h",
                    appointment_id=appt.id,
                    status=SmsStatus.DELIVERED,
                    attempts=1,
                    created_at=start - timedelta(hours=24),
                )
            )
        db.session.commit()

    done, missed = AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW
    call(3, done, confirmed=True, channel="sms")
    call(4, done, confirmed=True, channel="email")
    call(5, missed, confirmed=False, channel="email")
    call(6, done, confirmed=False, channel="none")
    call(7, missed, confirmed=False, channel="sms")
    make_appointment(world, make_lead(world), start=NOW + timedelta(days=1))  # booked: not counted

    with clock.frozen_at(NOW):
        jobs.refresh_analytics(app)  # a business's show-up counts are the worker's sums
        response = _logged_in(app, world.owner).get("/analytics/show_up.csv?weeks=4")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert rows[0] == ["Calls", "Held or missed", "Prospect came", "Show rate (%)"]
    figures = {r[0]: r[1:] for r in rows[1:]}
    assert figures["Prospect confirmed"] == ["2", "2", "100.0"]
    assert figures["Not confirmed"] == ["3", "1", "33.3"]
    assert figures["Reminded by SMS and email"] == ["2", "1", "50.0"]
    assert figures["Reminded by email only"] == ["2", "1", "50.0"]
    assert figures["No reminder"] == ["1", "1", "100.0"]

    with clock.frozen_at(NOW):
        page = _logged_in(app, world.closer).get("/analytics?weeks=4").get_data(as_text=True)
    assert "Show rate by confirmation and reminder channel" in page
