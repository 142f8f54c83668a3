"""The booking page's time-zone list, loaded on demand (``static/js/zone_filter.js``): the page itself
carries only the current zone, so it stays light (README, "Page weight" and "Zone picker")."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_babel import force_locale

from closerhub import clock
from closerhub.booking.pages.views import bp
from closerhub.i18n import current_locale, zone_options


@bp.get("/booking-zones.json")
def booking_zones() -> Response:
    """The zone picker's full list (canonical zones) as ``[value, label]`` pairs in the page's language
    (``?lang=``, part of the cached URL), loaded on demand by ``zone_filter.js`` so the booking page
    itself stays light; without JavaScript the page's ``?zones=all`` link lists them."""
    language = request.args.get("lang", "")
    if language not in current_app.config["LANGUAGES"]:
        language = current_locale()
    with force_locale(language):
        response = jsonify({"zones": [list(pair) for pair in zone_options(clock.utcnow())]})
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
