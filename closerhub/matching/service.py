"""Closer search: filter in SQL on precomputed tables, rank the survivors with ``core.matching``.

Nothing here computes slots: availability comes from ``closer_availability_summary``
(kept fresh by ``closers.availability_service.refresh_summary`` and a worker job), so a
search costs one indexed query plus an in-memory ranking of the matching closers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

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
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core import matching
from closerhub.core.errors import ValidationError
from closerhub.core.tz import require_zone

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


@dataclass(frozen=True)
class SearchPage:
    results: list[Result]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def clean_query(
    *,
    language: object = None,
    industry: object = None,
    max_rate_bps: object = None,
    prospect_timezone: object = None,
    available_within_days: object = None,
    q: object = None,
) -> SearchQuery:
    """Validate raw filters (form or query string) into a ``SearchQuery``; all errors at once."""
    errors: dict[str, str] = {}

    def blank(value: object) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    lang = None if blank(language) else str(language).strip().lower()
    if lang is not None and lang not in iso_639_1_codes():
        errors["language"] = "Unknown language; use an ISO 639-1 code such as fr."
    ind = None if blank(industry) else str(industry).strip()
    if ind is not None and ind not in INDUSTRIES:
        errors["industry"] = "Unknown industry."
    rate = _int_or_error(max_rate_bps, "max_rate_bps", RATE_MIN_BPS, RATE_MAX_BPS, errors)
    within = _int_or_error(available_within_days, "available_within_days", 1, MAX_WITHIN_DAYS, errors)
    zone = None if blank(prospect_timezone) else str(prospect_timezone).strip()
    if zone is not None:
        try:
            require_zone(zone, "prospect_timezone")
        except ValidationError as exc:
            errors.update(exc.field_errors)
    text = None if blank(q) else " ".join(str(q).split())
    if text is not None and len(text) > Q_MAX:
        errors["q"] = f"At most {Q_MAX} characters."
    if errors:
        raise ValidationError("Please correct the search filters.", field_errors=errors)
    return SearchQuery(lang, ind, rate, zone, within, text)


def _int_or_error(raw: object, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = f"Give a whole number from {low} to {high}."
        return None
    return value


def _filtered(query: SearchQuery, now: datetime):  # type: ignore[no-untyped-def]
    """The SQL that keeps the closers matching every filter (no ranking yet)."""
    level = (
        select(CloserLanguage.level)
        .where(CloserLanguage.profile_id == CloserProfile.id, CloserLanguage.code == query.language)
        .scalar_subquery()
        if query.language
        else None
    )
    columns = [
        User.id,
        User.name,
        User.timezone,
        CloserProfile.id.label("profile_id"),
        CloserProfile.headline,
        CloserProfile.min_rate_bps,
        AvailabilitySummary.next_available_at,
        AvailabilitySummary.free_slots_7d,
        AvailabilitySummary.weekly_hours_mask,
    ]
    if level is not None:
        columns.append(level.label("language_level"))
    stmt = (
        select(*columns)
        .join(CloserProfile, CloserProfile.user_id == User.id)
        .outerjoin(AvailabilitySummary, AvailabilitySummary.closer_id == User.id)
        .where(User.role == Role.CLOSER, User.status == AccountStatus.ACTIVE)
    )
    if query.language:
        stmt = stmt.where(
            exists().where(CloserLanguage.profile_id == CloserProfile.id, CloserLanguage.code == query.language)
        )
    if query.industry:
        stmt = stmt.where(
            exists().where(CloserIndustry.profile_id == CloserProfile.id, CloserIndustry.industry == query.industry)
        )
    if query.max_rate_bps is not None:
        stmt = stmt.where(CloserProfile.min_rate_bps <= query.max_rate_bps)
    if query.available_within_days is not None:
        stmt = stmt.where(
            and_(
                AvailabilitySummary.next_available_at.is_not(None),
                AvailabilitySummary.next_available_at < now + timedelta(days=query.available_within_days),
            )
        )
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
    """Closers matching ``query``, best first, one page of them with their details."""
    rows = session.execute(_filtered(query, now)).all()
    criteria = matching.SearchCriteria(
        language=query.language,
        language_name=language_name(query.language, locale) if query.language else None,
        industry=query.industry,
        prospect_timezone=query.prospect_timezone,
    )
    by_id = {row.id: row for row in rows}
    candidates = [
        matching.Candidate(
            closer_id=row.id,
            name=row.name,
            language_level=getattr(row, "language_level", None),
            weekly_hours_mask=matching.mask_from_hex(row.weekly_hours_mask),
            free_slots_7d=row.free_slots_7d or 0,
        )
        for row in rows
    ]
    ranked = matching.rank(candidates, criteria, today=now.date())
    page = ranked[offset : offset + limit]
    details = _details(session, [by_id[r.candidate.closer_id].profile_id for r in page])
    results = []
    for item in page:
        row = by_id[item.candidate.closer_id]
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
                score=item.score,
                reasons=item.reasons,
            )
        )
    return SearchPage(results=results, total=len(ranked), offset=offset, limit=limit)


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
