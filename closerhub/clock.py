"""The one clock seam. The entry points (views, API, jobs, CLI) call ``utcnow()`` and pass ``now`` down.

Services and ``core`` take ``now``; nothing else reads the system clock (README, "The clock rule").

Tests move time either with ``time_machine`` (which patches the system clock) or with
``frozen_at`` below, which pins this seam alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# Pins in force, innermost last, each with its own token: leaving a pin removes that pin, whatever
# the order (two threads pinning at once used to restore each other's "previous" value and could
# leave the clock pinned after both had left).
_pins: list[tuple[object, datetime]] = []
_pins_lock = threading.Lock()


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    pins = _pins
    if pins:
        return pins[-1][1]
    return datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Pin ``utcnow()`` to ``instant`` (aware) for the duration of the block."""
    if instant.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    token = object()
    with _pins_lock:
        _pins.append((token, instant.astimezone(UTC)))
    try:
        yield
    finally:
        with _pins_lock:
            _pins[:] = [pin for pin in _pins if pin[0] is not token]
