from datetime import UTC, datetime, timedelta

import pytest

from closerhub.core.retry import RetrySchedule

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_each_failed_attempt_waits_its_step_then_the_schedule_is_spent() -> None:
    schedule = RetrySchedule((timedelta(minutes=1), timedelta(hours=1)))
    assert schedule.max_attempts == 3
    assert schedule.next_attempt_at(1, NOW) == NOW + timedelta(minutes=1)
    assert schedule.next_attempt_at(2, NOW) == NOW + timedelta(hours=1)
    assert schedule.next_attempt_at(3, NOW) is None
    assert schedule.exhausted(3) and not schedule.exhausted(2)


def test_no_attempt_yet_waits_the_first_step() -> None:
    assert RetrySchedule((timedelta(seconds=5),)).next_attempt_at(0, NOW) == NOW + timedelta(seconds=5)


def test_doubling_gives_one_two_four_eight() -> None:
    schedule = RetrySchedule.doubling(timedelta(minutes=1), attempts=5)
    assert schedule.waits == tuple(timedelta(minutes=m) for m in (1, 2, 4, 8))
    assert schedule.max_attempts == 5


@pytest.mark.parametrize("waits", [(), (timedelta(0),), (timedelta(minutes=1), timedelta(minutes=-1))])
def test_a_schedule_needs_positive_waits(waits: tuple[timedelta, ...]) -> None:
    with pytest.raises(ValueError):
        RetrySchedule(waits)
