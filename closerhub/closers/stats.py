"""A closer's track record, read from their appointments: what the profile, the API and search show.

- ``appointments``: calls that are over with a known result (``completed`` or ``no_show``);
  booked and cancelled calls are not a track record.
- ``show_rate``: completed / (completed + no-show), 0–1; None before the first such call.
- ``close_rate`` and ``rating``: None until outcomes and reviews are recorded (the outcomes
  issue fills them here); pages show them only when they are known.

One grouped query for any number of closers (search reads a page of them at once), served
by the ``(closer_id, starts_at)`` index of ``appointments``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.booking.models import Appointment, AppointmentStatus

_RESULT_STATUSES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


@dataclass(frozen=True)
class CloserStats:
    """Track record shown on the profile and in search. ``show_rate``/``close_rate`` are 0–1 or None (unknown)."""

    appointments: int = 0
    show_rate: float | None = None
    close_rate: float | None = None
    rating: float | None = None
    reviews: int = 0


def closers_stats(session: Session, closer_ids: Iterable[int]) -> dict[int, CloserStats]:
    """The track record of each of ``closer_ids`` (every id is in the answer; no calls → empty stats)."""
    ids = sorted(set(closer_ids))
    counts: dict[int, dict[AppointmentStatus, int]] = {cid: {} for cid in ids}
    if ids:
        rows = session.execute(
            select(Appointment.closer_id, Appointment.status, func.count())
            .where(Appointment.closer_id.in_(ids), Appointment.status.in_(_RESULT_STATUSES))
            .group_by(Appointment.closer_id, Appointment.status)
        )
        for closer_id, status, count in rows:
            counts[closer_id][AppointmentStatus(status)] = count
    return {cid: _stats(by_status) for cid, by_status in counts.items()}


def closer_stats(session: Session, closer_id: int) -> CloserStats:
    """One closer's track record (see the module docstring for what each figure means)."""
    return closers_stats(session, [closer_id])[closer_id]


def _stats(by_status: dict[AppointmentStatus, int]) -> CloserStats:
    completed = by_status.get(AppointmentStatus.COMPLETED, 0)
    held_or_missed = completed + by_status.get(AppointmentStatus.NO_SHOW, 0)
    return CloserStats(
        appointments=held_or_missed,
        show_rate=completed / held_or_missed if held_or_missed else None,
    )
