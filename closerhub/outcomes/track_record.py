"""A closer's track record (``closers.stats.CloserStats``), read from their appointments, outcomes
and reviews: what the profile, the API and search show, and what search ranks on.

- ``appointments``: calls that are over with a known result (``completed`` or ``no_show``);
  booked and cancelled calls are not a track record.
- ``show_rate``: completed / (completed + no-show), 0–1; None before the first such call.
- ``close_rate``: won / (won + lost + not a fit) over the closer's outcomes (voided ones do
  not count; no-shows and follow-ups are not a decision), 0–1; None before the first decision.
- ``rating``: the average of the businesses' reviews (``outcomes.ratings.closer_ratings``).
- ``closer_no_shows``: calls the closer missed, as reported by the business or the prospect and
  confirmed by an admin (``booking.no_shows``); read in the same statement as the statuses.

Three grouped queries for any number of closers (search reads a page of them at once).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from closerhub.booking.attendance.models import CloserNoShowReport, ReportStatus
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.closers.stats import CloserStats
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus
from closerhub.outcomes.ratings import Rating, closer_ratings

_CLOSER_NO_SHOW = "closer_no_show"  # the kind of the confirmed-reports rows in the statuses' statement
_RESULT_STATUSES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
# The results that are a sales decision: the close rate's denominator.
DECIDED_RESULTS = (OutcomeResult.WON, OutcomeResult.LOST, OutcomeResult.NOT_A_FIT)


def closers_stats(session: Session, closer_ids: Iterable[int]) -> dict[int, CloserStats]:
    """The track record of each of ``closer_ids`` (every id is in the answer; no calls → empty stats)."""
    ids = sorted(set(closer_ids))
    counts: dict[int, dict[AppointmentStatus, int]] = {cid: {} for cid in ids}
    results: dict[int, dict[OutcomeResult, int]] = {cid: {} for cid in ids}
    no_shows = dict.fromkeys(ids, 0)
    if ids:
        by_status = (
            select(Appointment.closer_id, cast(Appointment.status, String(20)).label("kind"), func.count())
            .where(Appointment.closer_id.in_(ids), Appointment.status.in_(_RESULT_STATUSES))
            .group_by(Appointment.closer_id, Appointment.status)
        )
        missed = (
            select(CloserNoShowReport.closer_id, literal(_CLOSER_NO_SHOW, String(20)).label("kind"), func.count())
            .where(CloserNoShowReport.closer_id.in_(ids), CloserNoShowReport.status == ReportStatus.CONFIRMED)
            .group_by(CloserNoShowReport.closer_id)
        )
        for closer_id, kind, count in session.execute(union_all(by_status, missed)):
            if kind == _CLOSER_NO_SHOW:
                no_shows[closer_id] = count
            else:
                counts[closer_id][AppointmentStatus(kind)] = count
        for closer_id, result, count in session.execute(decided_counts_query(ids)):
            results[closer_id][OutcomeResult(result)] = count
    ratings = closer_ratings(session, ids)
    return {cid: _stats(counts[cid], results[cid], ratings[cid], no_shows[cid]) for cid in ids}


def decided_counts_query(closer_ids: list[int] | None = None):
    """``(closer_id, result, count)`` of decided, non-voided outcomes (of ``closer_ids``, or every closer)."""
    stmt = (
        select(Outcome.closer_id, Outcome.result, func.count())
        .where(Outcome.result.in_(DECIDED_RESULTS), Outcome.status != OutcomeStatus.VOIDED)
        .group_by(Outcome.closer_id, Outcome.result)
    )
    if closer_ids is not None:
        stmt = stmt.where(Outcome.closer_id.in_(closer_ids))
    return stmt


def closer_stats(session: Session, closer_id: int) -> CloserStats:
    """One closer's track record (see the module docstring for what each figure means)."""
    return closers_stats(session, [closer_id])[closer_id]


def _stats(
    by_status: dict[AppointmentStatus, int], by_result: dict[OutcomeResult, int], rating: Rating, closer_no_shows: int
) -> CloserStats:
    completed = by_status.get(AppointmentStatus.COMPLETED, 0)
    held_or_missed = completed + by_status.get(AppointmentStatus.NO_SHOW, 0)
    won = by_result.get(OutcomeResult.WON, 0)
    decided = sum(by_result.values())
    return CloserStats(
        appointments=held_or_missed,
        show_rate=completed / held_or_missed if held_or_missed else None,
        close_rate=won / decided if decided else None,
        rating=rating.average,
        reviews=rating.count,
        won=won,
        decided=decided,
        rating_total=rating.total,
        closer_no_shows=closer_no_shows,
    )
