"""The closer search page for businesses (``/closers``)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from closerhub import clock
from closerhub.accounts.permissions import role_required
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.closers.service import language_choices
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from closerhub.i18n import current_locale, zone_options
from closerhub.matching import service
from closerhub.matching.commands import CloserSearch

bp = Blueprint("matching", __name__)

PAGE_SIZE = 20
FILTERS = ("language", "industry", "max_rate", "prospect_timezone", "available_within_days", "min_rating", "q")


def _search(args: MultiDict[str, str]) -> tuple[CloserSearch, dict[str, str]]:
    """The search command from the query string (the form's names), and the errors of the numbers that
    could not be read, keyed by the command's fields (those filters are left out of the command)."""
    unread: dict[str, str] = {}

    def number(field: str, read: Callable[[str], float], message: str) -> float | None:
        raw = (args.get(CloserSearch.field_name(field, "form")) or "").strip()
        if not raw:
            return None
        try:
            return read(raw)
        except (ValueError, OverflowError):  # OverflowError: "inf" as a percentage
            unread[field] = message
            return None

    # The rate is typed as a percentage ("15" or "12.5"); the service takes basis points.
    rate = number(
        "max_rate_bps",
        lambda raw: round(float(raw.replace(",", ".")) * 100),
        service.whole_number_message(RATE_MIN_BPS, RATE_MAX_BPS),
    )
    within = number("available_within_days", int, service.whole_number_message(1, service.MAX_WITHIN_DAYS))
    rating = number("min_rating", lambda raw: float(raw.replace(",", ".")), service.rating_message())
    search = CloserSearch(
        language=args.get("language"),
        industry=args.get("industry"),
        max_rate_bps=int(rate) if rate is not None else None,
        prospect_timezone=args.get("prospect_timezone"),
        available_within_days=int(within) if within is not None else None,
        q=args.get("q"),
        min_rating=rating,
    )
    return search, unread


@bp.get("/closers")
@role_required("business", "admin")
def search() -> tuple[str, int]:
    """Filters in the query string, so a search can be bookmarked and shared."""
    args: MultiDict[str, str] = request.args
    page = min(max(1, args.get("page", 1, type=int) or 1), 10_000)
    result = None
    filters, errors = _search(args)
    try:
        query = service.clean_query(filters)  # every filter is checked, even beside one that could not be read
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if errors:
        errors = {CloserSearch.field_name(name, "form"): message for name, message in errors.items()}
    else:
        result = service.search_closers(
            db.session,
            query,
            now=clock.utcnow(),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            locale=current_locale(),
        )
    return render_template(
        "matching/search.html",
        result=result,
        errors=errors,
        values={k: args.get(k, "") for k in FILTERS},
        page=page,
        languages=language_choices(current_locale()),
        industries=INDUSTRIES,
        zones=zone_options(clock.utcnow()),
        now=clock.utcnow(),
    ), (422 if errors else 200)
