"""The closer search page for businesses (``/closers``)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from closerhub import clock
from closerhub.accounts.permissions import role_required
from closerhub.closers.service import language_choices
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from closerhub.i18n import current_locale, zone_options
from closerhub.matching import service

bp = Blueprint("matching", __name__)

PAGE_SIZE = 20
FILTERS = ("language", "industry", "max_rate", "prospect_timezone", "available_within_days", "min_rating", "q")


def _rate_bps(raw: str | None) -> str | None:
    """The form takes a percentage ("15" or "12.5"); the service takes basis points."""
    if not raw or not raw.strip():
        return None
    try:
        return str(round(float(raw.strip().replace(",", ".")) * 100))
    except ValueError:
        return "invalid"


@bp.get("/closers")
@role_required("business", "admin")
def search() -> tuple[str, int]:
    """Filters in the query string, so a search can be bookmarked and shared."""
    args: MultiDict[str, str] = request.args
    page = min(max(1, args.get("page", 1, type=int) or 1), 10_000)
    errors: dict[str, str] = {}
    result = None
    try:
        query = service.clean_query(
            language=args.get("language"),
            industry=args.get("industry"),
            max_rate_bps=_rate_bps(args.get("max_rate")),
            prospect_timezone=args.get("prospect_timezone"),
            available_within_days=args.get("available_within_days"),
            q=args.get("q"),
            min_rating=args.get("min_rating"),
        )
    except ValidationError as exc:
        errors = {("max_rate" if k == "max_rate_bps" else k): v for k, v in exc.field_errors.items()}
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
