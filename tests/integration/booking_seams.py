"""The booking guard's seams, as the concurrency tests widen or remove them (monkeypatch, test-only).

Production code has no switch for this: the guard is a few plain named steps
(``guard.take_write_lock``, ``guard.lock_for_booking``, ``service.free_candidates``,
``guard.write_booking``), and a test replaces or wraps exactly those for its own duration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from closerhub.booking import guard, service


def _no_write_lock(session: Session) -> None:
    """SQLite without ``BEGIN IMMEDIATE`` at the booking's first read."""


def _no_row_lock(session: Session, **_ids: int | None) -> bool:
    """PostgreSQL without the closer's row lock (and so without the re-check made under it)."""
    return False


def _everyone_free(session: Session, candidates: list[Any], *_args: Any) -> list[Any]:
    """No busy check: every closer whose rules allow the start is taken as free."""
    return candidates


def remove_booking_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the write lock, the row lock and the busy check: only the database's overlap guard is left."""
    monkeypatch.setattr(guard, "take_write_lock", _no_write_lock)
    monkeypatch.setattr(guard, "lock_for_booking", _no_row_lock)
    monkeypatch.setattr(service, "free_candidates", _everyone_free)


def before_each_write(monkeypatch: pytest.MonkeyPatch, hold: Callable[[], None]) -> None:
    """Run ``hold`` between a booking's (or a hand-over's) check and its write, e.g. a barrier or a pause."""
    write = guard.write_booking

    def held(session: Session, row: Any | None = None) -> None:
        hold()
        write(session, row)

    monkeypatch.setattr(guard, "write_booking", held)
