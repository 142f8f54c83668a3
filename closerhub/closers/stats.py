"""A closer's track record as search and the profile show it (``CloserStats``).

The figures are read from appointments, outcomes and reviews, which sit above closers in the
package order: ``outcomes.track_record`` computes them, and ``closers.service.find_closer`` gets
them through the reader the app factory registers (``closers.service.set_track_record``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CloserStats:
    """Track record shown on the profile and in search. ``show_rate``/``close_rate`` are 0–1 or None (unknown).

    ``won``/``decided`` and ``rating_total``/``reviews`` are the raw counts ``core.matching`` smooths.
    """

    appointments: int = 0
    show_rate: float | None = None
    close_rate: float | None = None
    rating: float | None = None
    reviews: int = 0
    won: int = 0
    decided: int = 0
    rating_total: int = 0
    closer_no_shows: int = 0
