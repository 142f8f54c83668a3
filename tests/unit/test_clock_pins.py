"""``clock.frozen_at`` pins nest and may be left in any order (two threads pinning at once)."""

from __future__ import annotations

from datetime import UTC, datetime

from closerhub import clock

A = datetime(2026, 6, 1, tzinfo=UTC)
B = datetime(2027, 1, 1, tzinfo=UTC)


def test_pins_left_out_of_order_leave_the_clock_free() -> None:
    first, second = clock.frozen_at(A), clock.frozen_at(B)
    first.__enter__()
    second.__enter__()
    assert clock.utcnow() == B
    first.__exit__(None, None, None)  # the first thread leaves before the second
    assert clock.utcnow() == B
    second.__exit__(None, None, None)
    assert clock.utcnow() != A and clock.utcnow() != B  # the real clock again


def test_nested_pins_restore_the_outer_one() -> None:
    with clock.frozen_at(A):
        with clock.frozen_at(B):
            assert clock.utcnow() == B
        assert clock.utcnow() == A
