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
from closerhub.booking import slots as booking_slots
from closerhub.booking.service import SlotUnavailable
from closerhub.closers import rules as closer_rules
from closerhub.extensions import db
from tests.factories_booking import make_appointment, make_lead, make_world
from tests.integration.booking_setup import TUESDAY_9, book, frozen, hours, lead_details, set_hours, setting

__all__ = ["frozen", "setting"]  # fixtures

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


# --- what a booking reads ---------------------------------------------------------------------


def _spy_busy_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[datetime, datetime]]]:
    """Every busy read of the booking check (``booking.slots.busy_intervals``), as (start, end) lists."""
    reads: list[list[tuple[datetime, datetime]]] = []
    real = booking_slots.busy_intervals

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        reads.append([(b.start, b.end) for b in found])
        return found

    monkeypatch.setattr(booking_slots, "busy_intervals", spy)
    return reads


def test_a_booking_reads_only_the_calls_that_can_collide_with_its_slot(
    setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closer's Tuesday, Wednesday and Thursday full but for Wednesday 12:00: booking it reads no
    call (none touches it), not the 23 of the days around it."""
    wednesday_9 = TUESDAY_9 + timedelta(days=1)
    noon = wednesday_9 + hours(3)  # 12:00 Paris
    for day in (-1, 0, 1):
        for h in range(8):
            start = wednesday_9 + timedelta(days=day) + hours(h)
            if start != noon:
                book(setting["offer"], start, lead=lead_details(email=f"p{day}{h}@example.com"))
    reads = _spy_busy_reads(monkeypatch)
    chosen = {"engagement_id": setting["engagement"].id}  # one check (a routed booking checks again once locked)
    assert book(setting["offer"], noon, lead=lead_details(email="noon@example.com"), **chosen).starts_at == noon
    assert reads == [[]]
    with pytest.raises(SlotUnavailable):  # and what it must see, it sees
        book(setting["offer"], noon + hours(1), lead=lead_details(email="late@example.com"), **chosen)
    assert reads[1] == [(noon + hours(1), noon + hours(2))]


def test_with_a_daily_cap_the_booking_reads_the_calls_of_the_slots_local_day_and_the_cap_holds(
    setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap counts the calls of the closer-local day: they are read, those of the days around are not."""
    set_hours(setting["closer"], max_per_day=3)
    for day, h in ((-1, 7), (1, 0), (0, 0), (0, 7)):  # Monday 16:00, Wednesday 09:00, Tuesday 09:00 and 16:00
        book(setting["offer"], TUESDAY_9 + timedelta(days=day) + hours(h), lead=lead_details(email=f"c{day}{h}@x.org"))
    reads = _spy_busy_reads(monkeypatch)
    book(setting["offer"], TUESDAY_9 + hours(3), lead=lead_details(email="third@example.com"))  # routed: 1 or 2 reads
    tuesday = {(TUESDAY_9, TUESDAY_9 + hours(1)), (TUESDAY_9 + hours(7), TUESDAY_9 + hours(8))}
    assert reads and all(set(read) == tuesday for read in reads), reads
    with pytest.raises(SlotUnavailable):  # a fourth on Tuesday passes the cap of 3
        book(setting["offer"], TUESDAY_9 + hours(5), lead=lead_details(email="fourth@example.com"))
