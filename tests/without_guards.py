"""A pytest plugin that removes every concurrency guard, to show that the race tests can fail.

    .venv/bin/python -m pytest -p tests.without_guards tests/integration/test_handover_race.py ...

Not loaded by default. With it, each test runs with the guards' seams patched out (as the
"without the guard" tests do one at a time): the booking locks and busy check
(``booking_seams.remove_booking_guard``) and the database's overlap constraint or triggers;
the payout run's lock, re-read and one-in-flight index; and the reminder workers' claim
condition (they are other processes: ``--unguarded``). The guarded race tests must then
fail; that they do is the proof they test the guard. Production code knows nothing of this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, text

from closerhub.booking.models import OVERLAP_CONSTRAINT_NAME, SQLITE_TRIGGERS, Appointment, install_overlap_guard
from closerhub.extensions import db
from closerhub.payments.payouts import service as payouts
from closerhub.payments.payouts.models import ONE_IN_FLIGHT_INDEX, Payout
from tests.integration import test_reminders
from tests.integration.booking_seams import remove_booking_guard


def _drop_database_guards() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ALTER TABLE appointments DROP CONSTRAINT {OVERLAP_CONSTRAINT_NAME}")
        else:
            for statement in SQLITE_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER {statement.split()[2]}")
        conn.execute(text(f"DROP INDEX {ONE_IN_FLIGHT_INDEX}"))


def _restore_database_guards() -> None:
    db.session.rollback()
    with db.engine.begin() as conn:  # the overlapping rows must go before the guard can come back
        conn.execute(delete(Appointment.__table__))
        install_overlap_guard(conn)
    index = next(i for i in Payout.__table__.indexes if i.name == ONE_IN_FLIGHT_INDEX)
    index.create(bind=db.engine)


@pytest.fixture(autouse=True)
def without_guards(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every guard's seam patched out for this test; the database's guards dropped and restored after."""
    remove_booking_guard(monkeypatch)
    monkeypatch.setattr(payouts, "_lock_closer", lambda session, closer_id, currency: None)
    monkeypatch.setattr(payouts, "_still_payable", lambda session, closer_id, currency, scanned, minimum: scanned)
    workers = test_reminders._workers

    def unguarded_workers(*args: Any, extra: tuple[str, ...] = (), **kwargs: Any) -> Any:
        return workers(*args, extra=(*extra, "--unguarded"), **kwargs)

    monkeypatch.setattr(test_reminders, "_workers", unguarded_workers)
    _drop_database_guards()
    try:
        yield
    finally:
        _restore_database_guards()
