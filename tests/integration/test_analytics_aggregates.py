"""The admin's analytics read the worker's pre-aggregates (issue 18): exactly the live figures once
the worker has run, in any viewer's zone, and a change reaches them at the next run, not before.

Random calls of three closers (two businesses, three offers) over seven months around two DST
changes, with every status, outcomes won/lost/no-show/follow-up, corrections, voids, confirmations,
email reminders and texts in every status; then a second round of changes (statuses, outcomes
corrected, a call moved to another day, texts delivered or deleted) after a first aggregation, so
the dirty days written by the triggers are what brings the sums up to date.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import delete, func, select

from closerhub import clock, jobs
from closerhub.analytics import aggregates, queries, table_kinds
from closerhub.analytics.models import AnalyticsDirty, AnalyticsSlot
from closerhub.analytics.show_up import show_counts
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.notifications.sms_models import SmsMessage, SmsStatus
from closerhub.outcomes import service
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.service import OutcomeData
from tests.conftest import _logged_in
from tests.integration.outcome_support import make_call, make_deal

NOW = datetime(2026, 4, 8, 12, 0, tzinfo=UTC)  # Paris and New York changed to summer time in March
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham")
PAST = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED)


def _record(call: Appointment, deal: Any, rng: random.Random) -> None:
    result = rng.choice(("won", "won", "lost", "no_show", "follow_up", "not_a_fit"))
    data = OutcomeData(
        result,
        deal_value=Money(rng.randrange(1, 50) * 10000, "EUR") if result == "won" else None,
        lost_reason=rng.choice(("price", "timing")) if result == "lost" else None,
        technique=rng.choice((None, "summary", "direct_ask")) if result != "no_show" else None,
        lost_reason_text="Not for them" if result == "not_a_fit" else "",
        next_step="Call back" if result == "follow_up" else "",
        next_step_at=call.ends_at + timedelta(days=7) if result == "follow_up" else None,
    )
    with frozen_at(call.ends_at + timedelta(minutes=5)):
        service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())


def _text(call: Appointment, rng: random.Random) -> None:
    db.session.add(
        SmsMessage(
            to_number="+12125550123",
            body="x",
            kind="reminder_24h",
            appointment_id=call.id,
            status=rng.choice(list(SmsStatus)),
            attempts=1,
            created_at=call.starts_at - timedelta(hours=24),
        )
    )


def _calls(deals: list[Any], rng: random.Random) -> list[tuple[Any, Appointment]]:
    """~40 calls per closer on a 4-hour grid (no overlap), some on a UTC midnight or a quarter hour before."""
    made = []
    first = NOW - timedelta(days=200)
    for deal in deals:
        for slot in sorted(rng.sample(range(0, 210 * 6), 40)):
            start = first.replace(hour=0) + timedelta(hours=4 * slot, minutes=rng.choice((0, 5, 15, 45, 50, 55)))
            if rng.random() < 0.1:
                start = start.replace(hour=23, minute=45)
            call = make_call(deal, start, minutes=30)
            made.append((deal, call))
            if call.ends_at < NOW:
                status = rng.choice(PAST)
                call.status = status
                if status == AppointmentStatus.CANCELLED:
                    call.cancelled_at = start - timedelta(days=1)
            elif rng.random() < 0.2:
                call.status, call.cancelled_at = AppointmentStatus.CANCELLED, NOW - timedelta(days=1)
            if rng.random() < 0.4:
                call.prospect_confirmed_at = start - timedelta(hours=20)
            if rng.random() < 0.6:
                call.reminder_24h_sent_at = start - timedelta(hours=24)
            if rng.random() < 0.3:
                _text(call, rng)
            db.session.commit()
            if call.status != AppointmentStatus.CANCELLED and call.ends_at < NOW and rng.random() < 0.6:
                _record(call, deal, rng)
    return made


def _second_round(made: list[tuple[Any, Appointment]], rng: random.Random) -> None:
    """Changes after the first aggregation, by the services and by direct writes."""
    for deal, call in rng.sample(made, 30):
        db.session.refresh(call)
        outcome = db.session.scalar(select(Outcome).where(Outcome.appointment_id == call.id))
        choice = rng.randrange(5)
        if outcome is not None and outcome.status == OutcomeStatus.RECORDED and choice == 0:
            data = (
                OutcomeData("lost", lost_reason="price")
                if outcome.result == "won"
                else OutcomeData("won", deal_value=Money(120000, "EUR"))
            )
            with frozen_at(call.ends_at + timedelta(hours=2)):
                service.correct_outcome(db.session, deal.closer, outcome.id, data, now=clock.utcnow())
        elif outcome is not None and choice == 1:
            outcome.status = OutcomeStatus.VOIDED
        elif outcome is None and call.ends_at < NOW and call.status != AppointmentStatus.CANCELLED and choice == 2:
            _record(call, deal, rng)
        elif choice == 3:
            for sms in db.session.scalars(select(SmsMessage).where(SmsMessage.appointment_id == call.id)):
                if rng.random() < 0.5:
                    sms.status = SmsStatus.DELIVERED
                else:
                    db.session.delete(sms)
            call.prospect_confirmed_at = None if call.prospect_confirmed_at else call.starts_at - timedelta(hours=1)
        elif outcome is None:  # moved to another day (and maybe to another status)
            shift = timedelta(days=rng.choice((-3, 1, 9)), hours=2)
            call.starts_at, call.ends_at = call.starts_at + shift, call.ends_at + shift
            call.blocked_until = call.ends_at
            if call.ends_at < NOW and call.status == AppointmentStatus.BOOKED:
                call.status = AppointmentStatus.COMPLETED
        db.session.commit()


def _refresh() -> None:
    db.session.commit()
    with frozen_at(NOW):
        jobs.refresh_analytics(current_app._get_current_object())  # type: ignore[attr-defined]


def _assert_equal_to_live(admin: Any) -> None:
    businesses = sorted(set(db.session.scalars(select(Appointment.business_id))))
    assert len(businesses) == 2
    for scope in (queries.Scope(), *(queries.Scope(business_id=b) for b in businesses)):
        _assert_scope_equal_to_live(admin, scope)


def _assert_scope_equal_to_live(admin: Any, scope: queries.Scope) -> None:
    checked = 0
    for zone in ZONES:
        for count in queries.RANGE_CHOICES:
            weeks = queries.week_buckets(NOW, zone, count)
            assert aggregates.serves(scope, weeks), zone
            s = db.session
            assert aggregates.week_counts(s, scope, weeks) == queries.performance(s, scope, weeks, "week")
            for by in ("closer", "offer"):
                for limit in (None, 2):
                    live = queries.performance(s, scope, weeks, by, limit=limit)  # type: ignore[arg-type]
                    assert aggregates.grouped(s, scope, weeks, by, limit=limit) == live, (zone, count, by)  # type: ignore[arg-type]
            ctx = table_kinds.Context(s, admin, scope, weeks)
            key = lambda c: (c.confirmation, c.channel)  # noqa: E731
            assert sorted(aggregates.show_counts(s, scope, weeks), key=key) == sorted(show_counts(ctx), key=key)
            checked += sum(p.appointments for p in aggregates.week_counts(s, scope, weeks))
    assert checked > 100  # the windows hold calls: the comparison compares something


@pytest.fixture
def world(make_user) -> dict[str, Any]:
    rng = random.Random(18)
    a = make_deal(make_user, owner=make_user("business"), closer=make_user("closer", name="Ana"))
    a2 = make_deal(make_user, owner=a.owner, closer=make_user("closer", name="Bea"))  # a second offer of business A
    b = make_deal(make_user, owner=make_user("business"), closer=make_user("closer", name="Cyd"))
    made = _calls([a, a2, b], rng)
    return {"rng": rng, "made": made}


def test_after_the_worker_every_figure_equals_the_live_queries_in_every_zone(app, world, admin_user) -> None:
    _refresh()
    _assert_equal_to_live(admin_user)
    _second_round(world["made"], world["rng"])
    assert db.session.scalar(select(func.count()).select_from(AnalyticsDirty))  # the triggers noted the days
    _refresh()
    assert not db.session.scalar(select(func.count()).select_from(AnalyticsDirty))
    _assert_equal_to_live(admin_user)
    slots = db.session.scalar(select(func.count()).select_from(AnalyticsSlot))
    _refresh()  # nothing changed: a run again changes nothing
    assert db.session.scalar(select(func.count()).select_from(AnalyticsSlot)) == slots
    _assert_equal_to_live(admin_user)


def test_the_admin_page_and_csv_equal_the_live_scan(app, world, admin_user, monkeypatch) -> None:
    _refresh()
    client = _logged_in(app, admin_user)
    for zone in ("Asia/Kathmandu", "America/New_York"):
        admin_user.timezone = zone
        db.session.commit()
        with frozen_at(NOW):
            summed = {s: client.get(f"/analytics/{s}.csv?weeks=26").data for s in ("weekly", "summary", "top_closers")}
            summed["show_up"] = client.get("/analytics/show_up.csv?weeks=26").data
            monkeypatch.setattr(aggregates, "serves", lambda scope, weeks: False)  # the live scan
            live = {s: client.get(f"/analytics/{s}.csv?weeks=26").data for s in summed}
            monkeypatch.undo()
        assert summed == live
        assert b"," in summed["weekly"] and len(summed["weekly"].splitlines()) == 27


def test_a_correction_reaches_the_figures_at_the_next_run_and_not_before(app, make_user, admin_user) -> None:
    deal = make_deal(make_user)
    call = make_call(deal, NOW - timedelta(days=2))
    with frozen_at(call.ends_at + timedelta(minutes=5)):
        outcome = service.record_outcome(
            db.session, deal.closer, call.id, OutcomeData("won", deal_value=Money(300000, "EUR")), now=clock.utcnow()
        )
    client = _logged_in(app, admin_user)

    def summary() -> list[str]:
        with frozen_at(NOW):
            return client.get("/analytics/summary.csv?weeks=4").get_data(as_text=True).splitlines()[1].split(",")

    assert summary()[6] == "0"  # won: the worker has not run yet
    with frozen_at(NOW):
        html = client.get("/analytics?weeks=4").get_data(as_text=True)
    assert "The worker has not summed the calls yet" in html and "Calls of 1 day changed since" in html
    _refresh()
    assert summary()[6] == "1"
    with frozen_at(call.ends_at + timedelta(hours=1)):
        service.correct_outcome(
            db.session, deal.closer, outcome.id, OutcomeData("lost", lost_reason="price"), now=clock.utcnow()
        )
    assert summary()[6] == "1"  # not before the next run
    with frozen_at(NOW):
        html = client.get("/analytics?weeks=4").get_data(as_text=True)
    assert 'data-testid="freshness"' in html and "Calls of 1 day changed since" in html
    _refresh()
    assert summary()[6] == "0" and summary()[5] == "1"  # held, not won
    with frozen_at(NOW):
        html = client.get("/analytics?weeks=4").get_data(as_text=True)
    assert "changed since" not in html and "Call counts as of" in html


def test_the_rebuild_command_sums_existing_data_and_clears_the_dirty_days(app, world, admin_user) -> None:
    db.session.execute(delete(AnalyticsSlot))  # sums lost or never made
    db.session.commit()
    with frozen_at(NOW):
        result = app.test_cli_runner().invoke(args=["analytics-rebuild"])
    assert result.exit_code == 0, result.output
    assert "quarter-hour slots" in result.output
    assert not db.session.scalar(select(func.count()).select_from(AnalyticsDirty))
    _assert_equal_to_live(admin_user)


def test_a_change_committed_during_a_run_keeps_its_dirty_day_for_the_next_run(app, make_user, admin_user) -> None:
    """PostgreSQL (SQLite writers queue behind the run's write lock): the run sees one snapshot and
    deletes only the dirty rows in it, even one with a smaller id that committed after it began."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: no write can commit during a run")
    deal = make_deal(make_user)
    early = make_call(deal, NOW - timedelta(days=3))
    late = make_call(deal, NOW - timedelta(days=2))
    _refresh()
    scope, weeks = queries.Scope(), queries.week_buckets(NOW, "UTC", 4)

    def completed() -> int:
        return queries.total(aggregates.week_counts(db.session, scope, weeks)).completed

    with db.engine.connect() as other:  # a transaction still open when the run starts
        other.execute(
            Appointment.__table__.update()
            .where(Appointment.id == early.id)
            .values(status=AppointmentStatus.COMPLETED.value)
        )
        late.status = AppointmentStatus.COMPLETED  # committed before the run: a larger dirty id
        _refresh()
        assert completed() == 1  # the late call; the open change is not in the run's snapshot
        other.commit()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AnalyticsDirty)) == 1  # kept
    assert completed() == 1
    _refresh()
    assert completed() == 2
