"""The busy read is an index range bounded on both sides: its cost does not grow with a closer's history.

A call touching the window ``[since, until)`` starts before ``until`` and, lasting less than
``CALL_MAX``, after ``since - CALL_MAX``. Without that lower bound the read walked every call
the closer ever had before ``until`` through ``ix_appointments_closer_starts`` and dropped the
past ones by filter: a closer with years of calls paid for all of them on every booking.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from closerhub import clock
from closerhub.closers import rules as closer_rules
from closerhub.extensions import db
from tests.factories_booking import make_appointment, make_lead, make_world

SINCE = datetime(2026, 6, 1, tzinfo=UTC)


def _plan(statement, params: dict) -> str:
    compiled = statement.params(**params).compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    with db.engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table would not use its index
        rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.construct_params()).all()
    return "\n".join(r[0] for r in rows)


@pytest.mark.postgres
@pytest.mark.parametrize("many", [False, True])
def test_the_busy_read_scans_only_calls_starting_within_a_day_of_the_window(app, many: bool) -> None:
    window = {"since": SINCE, "until": SINCE + timedelta(days=3), "now": SINCE}
    params = {**window, "starts_after": SINCE - closer_rules.CALL_MAX}
    if many:
        plan = _plan(closer_rules._busy_many_statement("postgresql"), {**params, "closer_ids": [1, 2]})
    else:
        plan = _plan(closer_rules._busy_statement(False, "postgresql"), {**params, "closer_id": 1})
    # The appointments' index scan: a range overlap on the GiST index, or starts_at bounded both sides.
    scans = plan.split("calendar_busy")[0]
    conditions = [line for line in scans.splitlines() if "Index Cond" in line]
    assert conditions, plan
    assert all("&&" in line or ("starts_at <" in line and "starts_at >" in line) for line in conditions), plan


def test_a_call_that_began_before_the_window_and_runs_into_it_is_still_busy(app, make_user) -> None:
    """The lower bound loses nothing: a call started before ``since`` and still running is read."""
    world = make_world(make_user)
    call = make_appointment(world, make_lead(world), start=SINCE - timedelta(minutes=30), minutes=60)
    make_appointment(world, make_lead(world), start=SINCE - timedelta(hours=3), minutes=60)  # over before
    busy = closer_rules.busy_intervals(
        db.session, world.closer.id, SINCE, SINCE + timedelta(hours=2), now=clock.utcnow()
    )
    assert [(b.start, b.end) for b in busy] == [(call.starts_at, call.ends_at)]
