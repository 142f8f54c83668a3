"""Closer search: filter in SQL on precomputed tables, rank the survivors with ``core.matching``.

Nothing here computes slots: availability comes from ``closer_availability_summary``
(kept fresh by ``closers.availability_service.refresh_summary`` and a worker job), so a
search costs one indexed query plus an in-memory ranking of the matching closers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.closers.models import (
    RATE_MAX_BPS,
    RATE_MIN_BPS,
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
)
from closerhub.closers.service import iso_639_1_codes, language_name
from closerhub.closers.stats import CloserStats
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core import matching
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.tz import require_zone
from closerhub.matching.commands import CloserSearch
from closerhub.outcomes.models import OutcomeResult, Review
from closerhub.outcomes.track_record import closers_stats, decided_counts_query
from closerhub.vetting.models import CloserVetting, VettingStatus

MAX_WITHIN_DAYS = 365
Q_MAX = 100


@dataclass(frozen=True)
class SearchQuery:
    """A business's search. Every filter is optional."""

    language: str | None = None
    industry: str | None = None
    max_rate_bps: int | None = None
    prospect_timezone: str | None = None
    available_within_days: int | None = None
    q: str | None = None
    min_rating: float | None = None  # average stars, 1–5; closers without reviews are left out


@dataclass(frozen=True)
class Result:
    """One closer in the results, with the score and the reasons shown beside it."""

    closer_id: int
    name: str
    headline: str
    timezone: str
    min_rate_bps: int
    languages: list[tuple[str, str]]
    industries: list[str]
    next_available_at: datetime | None
    free_slots_7d: int
    score: float
    reasons: list[str] = field(default_factory=list)
    stats: CloserStats = field(default_factory=CloserStats)


@dataclass(frozen=True)
class SearchPage:
    results: list[Result]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def whole_number_message(low: int, high: int) -> str:
    """What a filter that must be a whole number from ``low`` to ``high`` says when it is not."""
    return _("Give a whole number from %(low)d to %(high)d.", low=low, high=high)


def rating_message() -> str:
    """What the minimum rating says when it is not a number from 1 to 5."""
    return _("Give a rating from 1 to 5.")


def _text(value: str | None) -> str | None:
    """The filter's text, or None when blank (not filtered)."""
    return value.strip() if value is not None and value.strip() else None


def clean_query(search: CloserSearch) -> SearchQuery:
    """Check a business's filters (from the form or the API query) into a ``SearchQuery``; all errors at once."""
    errors: dict[str, str] = {}
    lang = _text(search.language)
    lang = lang.lower() if lang is not None else None
    if lang is not None and lang not in iso_639_1_codes():
        errors["language"] = _("Unknown language; use an ISO 639-1 code such as fr.")
    ind = _text(search.industry)
    if ind is not None and ind not in INDUSTRIES:
        errors["industry"] = _("Unknown industry.")
    rate = _in_range(search.max_rate_bps, "max_rate_bps", RATE_MIN_BPS, RATE_MAX_BPS, errors)
    within = _in_range(search.available_within_days, "available_within_days", 1, MAX_WITHIN_DAYS, errors)
    zone = _text(search.prospect_timezone)
    if zone is not None:
        try:
            require_zone(zone, "prospect_timezone")
        except ValidationError as exc:
            errors.update(exc.field_errors)
    text = _text(search.q)
    text = " ".join(text.split()) if text is not None else None
    if text is not None and len(text) > Q_MAX:
        errors["q"] = _("At most %(n)d characters.", n=Q_MAX)
    stars = search.min_rating
    if stars is not None and not 1 <= stars <= 5:  # NaN fails both comparisons
        errors["min_rating"] = rating_message()
        stars = None
    if errors:
        raise ValidationError(_("Please correct the search filters."), field_errors=errors)
    return SearchQuery(lang, ind, rate, zone, within, text, stars)


def _in_range(value: int | None, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    if value is not None and not low <= value <= high:
        errors[name] = whole_number_message(low, high)
        return None
    return value


def _filtered(query: SearchQuery, now: datetime, dialect: str = "postgresql"):
    """The SQL that keeps the closers matching every filter (no ranking yet)."""
    # Only what ranking needs, for every matching closer; names and details are read for one page later.
    columns = [User.id, AvailabilitySummary.weekly_hours_mask, AvailabilitySummary.free_slots_7d]
    stmt = (
        select(*columns)
        .join(CloserProfile, CloserProfile.user_id == User.id)
        .outerjoin(AvailabilitySummary, AvailabilitySummary.closer_id == User.id)
        # Only active closers an admin has approved: in review, asked for changes or rejected stay out.
        .join(CloserVetting, CloserVetting.closer_id == User.id)
        .where(User.role == Role.CLOSER, User.status == AccountStatus.ACTIVE)
        .where(CloserVetting.status == VettingStatus.APPROVED)
    )
    if query.language:
        # One row per (profile, code) (unique): a join both filters and gives the level to rank on.
        stmt = stmt.join(
            CloserLanguage, and_(CloserLanguage.profile_id == CloserProfile.id, CloserLanguage.code == query.language)
        ).add_columns(CloserLanguage.level)
    if query.industry:
        stmt = stmt.where(
            exists().where(CloserIndustry.profile_id == CloserProfile.id, CloserIndustry.industry == query.industry)
        )
    if query.max_rate_bps is not None:
        stmt = stmt.where(CloserProfile.min_rate_bps <= query.max_rate_bps)
    if query.available_within_days is not None:
        next_at: Any = AvailabilitySummary.next_available_at
        if dialect == "sqlite":
            # Most closers are free within a week, so this range selects most rows; SQLite (nested
            # loops only) would still drive the join from its index and probe four tables per
            # closer. "+column" keeps the index out: the join starts from the selective filters.
            next_at = UnaryExpression(next_at, operator=custom_op("+"), type_=next_at.type)
        stmt = stmt.where(
            and_(
                AvailabilitySummary.next_available_at.is_not(None),
                next_at < now + timedelta(days=query.available_within_days),
            )
        )
    if query.min_rating is not None:
        # One grouped pass over the reviews (indexed by closer): an average, never a stored figure.
        rated = select(Review.closer_id).group_by(Review.closer_id).having(func.avg(Review.rating) >= query.min_rating)
        stmt = stmt.where(User.id.in_(rated))
    if query.q:
        needle = query.q.lower()
        stmt = stmt.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                func.lower(CloserProfile.headline).contains(needle, autoescape=True),
                func.lower(CloserProfile.bio).contains(needle, autoescape=True),
            )
        )
    return stmt


def search_closers(
    session: Session, query: SearchQuery, *, now: datetime, limit: int = 20, offset: int = 0, locale: str = "en"
) -> SearchPage:
    """Closers matching ``query``, best first, one page of them with their details and track record.

    Every matching closer is scored (``core.matching.score``) to order them, but only the page
    shown is read in full: names, languages, industries and stats cost the same for 100 or
    100,000 matches.
    """
    criteria = matching.SearchCriteria(
        language=query.language,
        language_name=language_name(query.language, locale) if query.language else None,
        industry=query.industry,
        prospect_timezone=query.prospect_timezone,
    )
    prospect_mask = (
        matching.daytime_mask(query.prospect_timezone, matching.reference_week_start(now.date()))
        if query.prospect_timezone
        else None
    )
    matches = session.execute(_filtered(query, now, session.get_bind().dialect.name)).tuples().all()
    order = _ranked_ids(matches, criteria, prospect_mask, _track_records(session))
    page_ids = order[offset : offset + limit]
    rows = {row.id: row for row in session.execute(_page_select(page_ids, query.language))} if page_ids else {}
    details = _details(session, [rows[cid].profile_id for cid in page_ids])
    stats = closers_stats(session, page_ids)
    results = []
    for cid in page_ids:
        row = rows[cid]
        # Scored again with the names for the reasons; same inputs as the ordering, same score.
        ranked = matching.score(_candidate(row, query.language, stats[cid]), criteria, prospect_mask)
        langs, inds = details.get(row.profile_id, ([], []))
        results.append(
            Result(
                closer_id=row.id,
                name=row.name,
                headline=row.headline or "",
                timezone=row.timezone,
                min_rate_bps=row.min_rate_bps,
                languages=langs,
                industries=inds,
                next_available_at=row.next_available_at,
                free_slots_7d=row.free_slots_7d or 0,
                score=ranked.score,
                reasons=ranked.reasons,
                stats=stats[cid],
            )
        )
    return SearchPage(results=results, total=len(order), offset=offset, limit=limit)


# (won, decided, rating_sum, rating_count) of one closer: the track record ``core.matching`` smooths.
TrackRecord = tuple[int, int, int, int]
_NO_RECORD: TrackRecord = (0, 0, 0, 0)


def _track_records(session: Session) -> dict[int, TrackRecord]:
    """Every closer's outcomes and reviews as ranking inputs, in two grouped queries.

    Read for every closer that has any (not per match: an IN list of thousands of ids costs more
    than grouping the outcome and review tables), so the order uses the same close rate and
    rating as the reasons and the stats shown: won / (won + lost + not a fit), average stars.
    """
    won: dict[int, int] = {}
    decided: dict[int, int] = {}
    for closer_id, result, count in session.execute(decided_counts_query()):
        decided[closer_id] = decided.get(closer_id, 0) + count
        if OutcomeResult(result) == OutcomeResult.WON:
            won[closer_id] = count
    ratings = {
        closer_id: (int(total), int(count))
        for closer_id, count, total in session.execute(
            select(Review.closer_id, func.count(Review.id), func.sum(Review.rating)).group_by(Review.closer_id)
        )
    }
    out: dict[int, TrackRecord] = {}
    for closer_id in decided.keys() | ratings.keys():
        total, count = ratings.get(closer_id, (0, 0))
        out[closer_id] = (won.get(closer_id, 0), decided.get(closer_id, 0), total, count)
    return out


def _ranked_ids(
    rows: Sequence[tuple[Any, ...]],
    criteria: matching.SearchCriteria,
    prospect_mask: int | None,
    records: dict[int, TrackRecord] | None = None,
) -> list[int]:
    """Closer ids in ``core.matching.rank`` order: score descending, then fewer decided calls, then id.

    ``rank`` would build a full ``Ranked`` (reasons included) per closer; at 10,000+ matches that
    is most of a search's time. The score depends only on the language level, how many hours
    overlap the prospect's day and the free slots, each capped (``OVERLAP_FULL_HOURS``,
    ``SLOTS_FULL``), so there are at most a few thousand distinct combinations however many
    closers match: each is scored once with ``core.matching.score``. The track record (close
    rate, rating; ``records``) joins the key: most closers share the empty one.
    """
    records = records or {}
    scores: dict[tuple[Any, ...], float] = {}
    keyed: list[tuple[float, int, int]] = []
    for row in rows:
        closer_id, mask_hex, free, level = row[0], row[1], row[2] or 0, row[3] if len(row) > 3 else None
        overlap = matching.mask_from_hex(mask_hex) & prospect_mask if prospect_mask is not None else 0
        record = records.get(closer_id, _NO_RECORD)
        key = (level, min(overlap.bit_count(), matching.OVERLAP_FULL_HOURS), min(free, matching.SLOTS_FULL), record)
        value = scores.get(key)
        if value is None:
            won, decided, rating_sum, rating_count = record
            candidate = matching.Candidate(
                closer_id=0,
                name="",
                language_level=level,
                weekly_hours_mask=overlap,
                free_slots_7d=free,
                appointments=decided,
                won=won,
                rating_sum=rating_sum,
                rating_count=rating_count,
            )
            value = scores[key] = matching.score(candidate, criteria, prospect_mask).score
        keyed.append((-value, record[1], closer_id))
    keyed.sort()
    return [closer_id for _score, _decided, closer_id in keyed]


def _page_select(closer_ids: list[int], language: str | None):
    """The details of one page of closers (the filters already chose them), with the asked language's level."""
    level = (
        select(CloserLanguage.level)
        .where(CloserLanguage.profile_id == CloserProfile.id, CloserLanguage.code == language)
        .scalar_subquery()
        .label("language_level")
    )
    return (
        select(
            User.id,
            User.name,
            User.timezone,
            CloserProfile.id.label("profile_id"),
            CloserProfile.headline,
            CloserProfile.min_rate_bps,
            AvailabilitySummary.next_available_at,
            AvailabilitySummary.free_slots_7d,
            AvailabilitySummary.weekly_hours_mask,
            level,
        )
        .join(CloserProfile, CloserProfile.user_id == User.id)
        .outerjoin(AvailabilitySummary, AvailabilitySummary.closer_id == User.id)
        .where(User.id.in_(closer_ids))
    )


def _candidate(row: Any, language: str | None, stats: CloserStats) -> matching.Candidate:
    """The ranking input of one shown closer: ``appointments`` is the close rate's denominator (decided calls),
    so the reason "31 % close rate" is the same figure as ``stats.close_rate``."""
    return matching.Candidate(
        closer_id=row.id,
        name=row.name,
        language_level=row.language_level if language else None,
        weekly_hours_mask=matching.mask_from_hex(row.weekly_hours_mask),
        free_slots_7d=row.free_slots_7d or 0,
        appointments=stats.decided,
        won=stats.won,
        rating_sum=stats.rating_total,
        rating_count=stats.reviews,
    )


def _details(session: Session, profile_ids: list[int]) -> dict[int, tuple[list[tuple[str, str]], list[str]]]:
    """Languages and industries of one page of closers, in two queries (not one per closer)."""
    out: dict[int, tuple[list[tuple[str, str]], list[str]]] = {pid: ([], []) for pid in profile_ids}
    if not profile_ids:
        return out
    for pid, code, level in session.execute(
        select(CloserLanguage.profile_id, CloserLanguage.code, CloserLanguage.level)
        .where(CloserLanguage.profile_id.in_(profile_ids))
        .order_by(CloserLanguage.code)
    ):
        out[pid][0].append((code, level.value))
    for pid, industry in session.execute(
        select(CloserIndustry.profile_id, CloserIndustry.industry)
        .where(CloserIndustry.profile_id.in_(profile_ids))
        .order_by(CloserIndustry.industry)
    ):
        out[pid][1].append(industry)
    return out
