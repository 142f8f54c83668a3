"""The one clock seam. The entry points (views, API, jobs, CLI) call ``utcnow()`` and pass ``now`` down.

Services and ``core`` take ``now``; nothing else reads the system clock (README, "The clock rule").

Tests move time either with ``time_machine`` (which patches the system clock) or with
``frozen_at`` below, which pins this seam alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned: datetime | None = None


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    if _pinned is not None:
        return _pinned
    return datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Pin ``utcnow()`` to ``instant`` (aware) for the duration of the block."""
    global _pinned
    if instant.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous, _pinned = _pinned, instant.astimezone(UTC)
    try:
        yield
    finally:
        _pinned = previous
