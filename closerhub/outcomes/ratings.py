"""Closers' ratings from the businesses' reviews: one grouped query for one closer or a page of them.

Kept apart from ``reviews`` (the use cases) so the track record (``closers.stats``) and search
can read ratings without importing the services that depend on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.outcomes.models import Review


@dataclass(frozen=True)
class Rating:
    """A closer's average rating (None without reviews), how many reviews it rests on, and their star sum
    (what ``core.matching`` smooths: ``rating_sum`` / ``rating_count``)."""

    average: float | None
    count: int
    total: int = field(default=0, compare=False)


def closer_rating(session: Session, closer_id: int) -> Rating:
    """The closer's average rating over every review (one query), for matching and the profile."""
    return closer_ratings(session, [closer_id])[closer_id]


def closer_ratings(session: Session, closer_ids: Iterable[int]) -> dict[int, Rating]:
    """``closer_rating`` for many closers in one grouped query (a search page, the ranking); every id answers."""
    ids = sorted(set(closer_ids))
    out = {cid: Rating(None, 0, 0) for cid in ids}
    if not ids:
        return out
    rows = session.execute(
        select(Review.closer_id, func.count(Review.id), func.sum(Review.rating))
        .where(Review.closer_id.in_(ids))
        .group_by(Review.closer_id)
    )
    for closer_id, count, total in rows:
        out[closer_id] = Rating(round(int(total) / int(count), 2), int(count), int(total))
    return out
