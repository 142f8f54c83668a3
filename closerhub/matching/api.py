"""``GET /api/v1/closers``: the ranked search, the same service as the HTML page."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import decode_cursor, encode_cursor
from closerhub.api.routing import api_route
from closerhub.api.schema_docs import vocabulary
from closerhub.api.schemas import OutModel, PageQuery, UTCInstant
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.closers.schemas import StatsOut
from closerhub.commands import errors_for
from closerhub.extensions import db
from closerhub.matching import service
from closerhub.matching.commands import CloserSearch


class CloserSearchQuery(PageQuery):
    """Filters of the closer search (all optional)."""

    # The service checks the values (its own messages); the document states what it accepts.
    language: Annotated[str, vocabulary("LanguageCode")] | None = Field(
        None, max_length=8, description="ISO 639-1 code, e.g. fr"
    )
    industry: Annotated[str, vocabulary("Industry")] | None = Field(
        None, max_length=40, description="Industry slug, e.g. saas"
    )
    max_rate_bps: int | None = Field(
        None,
        description="Highest commission you offer, 1000–2000",
        json_schema_extra={"minimum": RATE_MIN_BPS, "maximum": RATE_MAX_BPS},
    )
    prospect_timezone: Annotated[str, vocabulary("TimeZoneName")] | None = Field(
        None, max_length=64, description="IANA zone of your prospects"
    )
    available_within_days: int | None = Field(
        None,
        description="Has a free slot within N days",
        json_schema_extra={"minimum": 1, "maximum": service.MAX_WITHIN_DAYS},
    )
    q: str | None = Field(None, max_length=100, description="Free text on name, headline and bio")
    min_rating: float | None = Field(
        None,
        description="Lowest average rating, 1–5 (unreviewed closers are left out)",
        json_schema_extra={"minimum": 1, "maximum": 5},
    )


class LanguageOut(BaseModel):
    code: str
    level: str


class CloserSearchItem(OutModel):
    id: int
    name: str
    headline: str
    languages: list[LanguageOut]
    industries: list[str]
    timezone: str
    min_rate_bps: int
    rating: float | None = None
    stats: StatsOut
    next_available_at: UTCInstant | None
    free_slots_7d: int
    score: float
    reasons: list[str] = Field(description="Why this closer ranks here, e.g. 'speaks French natively'")


class CloserSearchPage(OutModel):
    data: list[CloserSearchItem]
    next_cursor: str | None


@api_route(
    "GET",
    "/closers",
    summary="Search closers, ranked by a documented score with the reasons",
    auth=("business", "admin"),
    query=CloserSearchQuery,
    response=CloserSearchPage,
    tags=("closers",),
)
def search_closers(query: CloserSearchQuery) -> dict[str, Any]:
    """Filters narrow the list; the order is `core.matching`'s score (see its docstring)."""
    search = CloserSearch(
        language=query.language,
        industry=query.industry,
        max_rate_bps=query.max_rate_bps,
        prospect_timezone=query.prospect_timezone,
        available_within_days=query.available_within_days,
        q=query.q,
        min_rating=query.min_rating,
    )
    with errors_for(CloserSearch, "api"):
        criteria = service.clean_query(search)
    offset = decode_cursor(query.cursor) if query.cursor else 0
    page = service.search_closers(
        db.session,
        criteria,
        now=clock.utcnow(),
        limit=query.limit,
        offset=offset,
        locale=current_api_user().language,
    )
    data = [
        CloserSearchItem(
            id=r.closer_id,
            name=r.name,
            headline=r.headline,
            languages=[LanguageOut(code=c, level=lv) for c, lv in r.languages],
            industries=r.industries,
            timezone=r.timezone,
            min_rate_bps=r.min_rate_bps,
            rating=r.stats.rating,
            stats=StatsOut(
                appointments=r.stats.appointments,
                show_rate=r.stats.show_rate,
                close_rate=r.stats.close_rate,
                closer_no_shows=r.stats.closer_no_shows,
            ),
            next_available_at=r.next_available_at,
            free_slots_7d=r.free_slots_7d,
            score=r.score,
            reasons=r.reasons,
        ).model_dump(mode="json")
        for r in page.results
    ]
    next_offset = page.next_offset
    return {"data": data, "next_cursor": encode_cursor(next_offset) if next_offset is not None else None}
