"""Retry schedules: how long to wait after each failed attempt, and when to give up.

One rule for every delivery the worker retries (emails, business charges, calendar
write-backs, webhooks): after failed attempt ``n`` (1-based) the next attempt is due
``waits[n - 1]`` later; after attempt ``len(waits) + 1`` there is none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetrySchedule:
    waits: tuple[timedelta, ...]

    def __post_init__(self) -> None:
        if not self.waits or any(w <= timedelta(0) for w in self.waits):
            raise ValueError("a retry schedule needs at least one positive wait")

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the first and one after each wait."""
        return len(self.waits) + 1

    def exhausted(self, attempts: int) -> bool:
        """Whether ``attempts`` failed attempts used the schedule up."""
        return attempts >= self.max_attempts

    def next_attempt_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts (``now`` being the last); None once exhausted."""
        if self.exhausted(attempts):
            return None
        return now + self.waits[max(attempts, 1) - 1]

    @classmethod
    def doubling(cls, first: timedelta, attempts: int) -> RetrySchedule:
        """``first``, twice that, four times …: ``attempts`` attempts in all."""
        return cls(tuple(first * 2**n for n in range(attempts - 1)))
