"""Ranking closers for a business's search: a documented, explainable score (pure).

The database filters (language, industry, maximum rate, availability within N days, free
text); this module orders what is left and says *why* each closer ranks where they do.

Score (0–100), the sum of six parts. A part whose criterion the search did not ask for
gives every closer the same points, so it never reorders them:

============  ======  ==================================================================
part          max     how
============  ======  ==================================================================
language      25      asked language spoken natively 25, fluently 20, working level 12
time zones    20      hours per week the closer works while the prospect is awake
                      (09:00–18:00 on the prospect's weekdays); full marks from 20 h
availability  15      free slots in the next 7 days; full marks from 20
close rate    15      won / appointments, smoothed toward 25 % over 10 virtual calls
                      (so two lucky calls do not beat a steady record); full at 50 %
rating        10      average stars smoothed toward 4.0 over 5 virtual reviews
industry      15      closes the asked industry (a filter too, so usually all get it)
============  ======  ==================================================================

Ties break on fewer appointments first (new closers are not starved), then on id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from closerhub.core.i18n import N_, _, ngettext
from closerhub.core.tz import require_zone

HOURS_PER_WEEK = 168
LEVEL_POINTS = {"native": 25.0, "fluent": 20.0, "working": 12.0}
#: The reason given for each level of the asked language (translated where used).
SPEAKS = {
    "native": N_("speaks %(language)s natively"),
    "fluent": N_("speaks %(language)s fluently"),
    "working": N_("speaks %(language)s at working level"),
}
PRIOR_CLOSE_RATE, PRIOR_CALLS = 0.25, 10
PRIOR_RATING, PRIOR_REVIEWS = 4.0, 5
OVERLAP_FULL_HOURS = 20
SLOTS_FULL = 20
PROSPECT_DAY = (time(9), time(18))


@dataclass(frozen=True)
class Candidate:
    """What ranking needs to know about one closer (read from precomputed tables)."""

    closer_id: int
    name: str
    language_level: str | None = None  # level in the asked language, if one was asked
    industry_match: bool = True
    weekly_hours_mask: int = 0  # bit h set = works during hour h of the UTC reference week
    free_slots_7d: int = 0
    appointments: int = 0
    won: int = 0
    rating_sum: int = 0
    rating_count: int = 0


@dataclass(frozen=True)
class SearchCriteria:
    language: str | None = None
    language_name: str | None = None  # "French", for the reasons
    industry: str | None = None
    prospect_timezone: str | None = None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    reasons: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)


def reference_week_start(today: date) -> datetime:
    """Monday 00:00 UTC of the week containing ``today``: the frame of every weekly mask."""
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday, time(0), tzinfo=UTC)


def daytime_mask(zone: str, week_start: datetime, day: tuple[time, time] = PROSPECT_DAY) -> int:
    """The UTC hours of the reference week when someone in ``zone`` is in working daytime.

    Hour ``h`` (0 = Monday 00:00 UTC) is set when its start falls inside ``day`` on a
    local Monday–Friday. The week is taken around ``week_start`` so DST is the real one.
    """
    tz: ZoneInfo = require_zone(zone)
    mask = 0
    for hour in range(HOURS_PER_WEEK):
        local = (week_start + timedelta(hours=hour)).astimezone(tz)
        if local.weekday() < 5 and day[0] <= local.time() < day[1]:
            mask |= 1 << hour
    return mask


def smoothed_close_rate(won: int, appointments: int) -> float:
    return (won + PRIOR_CLOSE_RATE * PRIOR_CALLS) / (appointments + PRIOR_CALLS)


def smoothed_rating(rating_sum: int, rating_count: int) -> float:
    return (rating_sum + PRIOR_RATING * PRIOR_REVIEWS) / (rating_count + PRIOR_REVIEWS)


def score(candidate: Candidate, criteria: SearchCriteria, prospect_mask: int | None) -> Ranked:
    """Score one closer and explain it."""
    parts: dict[str, float] = {}
    reasons: list[str] = []
    if criteria.language:
        level = candidate.language_level
        parts["language"] = LEVEL_POINTS.get(level or "", 0.0)
        if level:
            reasons.append(_(SPEAKS[level], language=criteria.language_name or criteria.language))
    else:
        parts["language"] = LEVEL_POINTS["native"]
    if prospect_mask is not None:
        overlap = (candidate.weekly_hours_mask & prospect_mask).bit_count()
        parts["timezone"] = 20.0 * min(1.0, overlap / OVERLAP_FULL_HOURS)
        reasons.append(_("%(hours)d h/week while your prospects are awake", hours=overlap))
    else:
        parts["timezone"] = 20.0
    parts["availability"] = 15.0 * min(1.0, candidate.free_slots_7d / SLOTS_FULL)
    reasons.append(ngettext("%(num)d free slot this week", "%(num)d free slots this week", candidate.free_slots_7d))
    parts["close_rate"] = 15.0 * min(1.0, smoothed_close_rate(candidate.won, candidate.appointments) / 0.5)
    if candidate.appointments:
        reasons.append(_("%(rate)d %% close rate", rate=round(100 * candidate.won / candidate.appointments)))
    else:
        reasons.append(_("new on CloserHub"))
    stars = min(5.0, max(1.0, smoothed_rating(candidate.rating_sum, candidate.rating_count)))
    parts["rating"] = 10.0 * (stars - 1) / 4
    if candidate.rating_count:
        reasons.append(_("rated %(rating).1f/5", rating=candidate.rating_sum / candidate.rating_count))
    parts["industry"] = 15.0 if (not criteria.industry or candidate.industry_match) else 0.0
    total = round(sum(parts.values()), 2)
    return Ranked(candidate=candidate, score=total, reasons=reasons, parts=parts)


def rank(candidates: list[Candidate], criteria: SearchCriteria, *, today: date) -> list[Ranked]:
    """Order closers by score (highest first); ties favour fewer appointments, then lower id."""
    mask = None
    if criteria.prospect_timezone:
        mask = daytime_mask(criteria.prospect_timezone, reference_week_start(today))
    ranked = [score(c, criteria, mask) for c in candidates]
    ranked.sort(key=lambda r: (-r.score, r.candidate.appointments, r.candidate.closer_id))
    return ranked


def weekly_mask(intervals: list[tuple[datetime, datetime]], week_start: datetime) -> int:
    """Bit ``h`` set when any of the UTC ``intervals`` overlaps hour ``h`` of the week."""
    mask = 0
    week_end = week_start + timedelta(hours=HOURS_PER_WEEK)
    for start, end in intervals:
        start, end = max(start, week_start), min(end, week_end)
        if start >= end:
            continue
        first = int((start - week_start).total_seconds() // 3600)
        last = int(((end - week_start).total_seconds() - 1) // 3600)
        for hour in range(first, last + 1):
            mask |= 1 << hour
    return mask


def mask_to_hex(mask: int) -> str:
    """Store a 168-bit mask as 42 hex digits (portable across SQLite and PostgreSQL)."""
    return f"{mask:042x}"


def mask_from_hex(text: str | None) -> int:
    return int(text, 16) if text else 0
