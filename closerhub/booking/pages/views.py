"""The prospect's pages (no login): an offer's booking page, the confirm step, the confirmation, and manage-by-link.

``/book/<key>`` shows a month calendar and the chosen day's free slots in the prospect's zone (``?tz=``, detected by a
tiny script, changeable, the business's zone without JavaScript), ``/book/<key>/confirm``
(``confirm_views``) takes the prospect's details and books through ``service.book`` (the same
function as the API), and ``/appointments/manage/<token>`` (``manage_views``) lets them reschedule
or cancel from the signed link in their emails. The blueprint ``booking_public`` is defined here;
the other modules add their pages to it (the app factory lists them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from closerhub import clock
from closerhub.booking import service
from closerhub.booking.models import Appointment
from closerhub.booking.pages import page_data
from closerhub.booking.pages.display import (
    DaySlots,
    clock_hours,
    daytime_label,
    daytime_only,
    first_weekday,
    iso_z,
    parse_day,
    parse_id,
    parse_zone,
    slot_links,
    when_label,
)
from closerhub.booking.pages.picker import month_last, month_of, month_picker, picker_labels
from closerhub.businesses.models import Offer
from closerhub.core.errors import NotFound
from closerhub.core.tz import canonical_zone, to_local
from closerhub.extensions import db, limiter
from closerhub.i18n import zone_option, zone_options
from closerhub.notifications.service import public_url

bp = Blueprint("booking_public", __name__)

BOOKING_LIMIT = "10 per minute; 50 per hour"  # per client address, as on the login form
BOOKING_SCOPE = "public-booking"


def booking_limit() -> str:
    """The public booking limit in force: ``BOOKING_RATE_LIMIT`` from the config, else ``BOOKING_LIMIT``.

    Read per request, so a test (the 50-client booking race) can lift it on its own app.
    """
    return str(current_app.config.get("BOOKING_RATE_LIMIT") or BOOKING_LIMIT)


def public_booking_limit(*, exempt_when: Any = None) -> Any:
    """The one limit shared by every unauthenticated way to book (the booking page's POST and the API
    with a booking key): one counter per client address, so switching door does not reset it."""
    return limiter.shared_limit(booking_limit, scope=BOOKING_SCOPE, methods=["POST"], exempt_when=exempt_when)


@bp.app_template_global("booking_link")
def booking_link(offer: Offer) -> str:
    """The offer's public booking page on ``PUBLIC_BASE_URL`` (what a business puts in its funnel)."""
    return public_url("booking_public.book", key=offer.booking_key)


def _offer_or_404(key: str) -> Offer:
    try:
        return service.offer_for_booking_key(db.session, key)
    except NotFound:
        abort(404)


def _without(offer: Offer) -> int | None:
    """``?without=``: the closer who missed the prospect's call, left out of the page and of routing."""
    raw = request.args.get("without")
    closer_id = parse_id(raw) if raw else None
    return closer_id if closer_id in {c.id for c in page_data.engaged_closers(db.session, offer)} else None


def _closer_choice(offer: Offer, raw: str | None) -> tuple[int | None, list[Any], str | None]:
    """The named closer (``?closer=``) among the offer's engaged closers, the list, and an error if unknown;
    the closer named by ``?without=`` is neither listed nor accepted."""
    without = _without(offer)
    closers = [c for c in page_data.engaged_closers(db.session, offer) if c.id != without]
    wanted = parse_id(raw) if raw not in (None, "", "any") else None
    if raw not in (None, "", "any") and wanted not in {c.id for c in closers}:
        return None, closers, _("That closer does not take calls for this offer; showing every available closer.")
    return wanted, closers, None


@bp.get("/book/<key>")
def book(key: str) -> tuple[str, int]:
    """The offer, a month calendar and the chosen day's free slots in the prospect's zone; zone and closer pickers."""
    offer = _offer_or_404(key)
    return _slots_page(offer)


def _slots_page(offer: Offer, *, start_error: str | None = None, status: int = 200) -> tuple[str, int]:
    now = clock.utcnow()
    tz_raw = request.args.get("tz")
    zone, zone_error = parse_zone(tz_raw, offer.business.timezone)
    zone = canonical_zone(zone)  # a browser's alias (Asia/Calcutta) is shown as the picker's name
    closer_id, closers, closer_error = _closer_choice(offer, request.args.get("closer"))
    today = to_local(now, zone).date()
    last = page_data.last_bookable_date(db.session, closers, now, zone)
    without = _without(offer)
    requested = parse_day(request.args.get("day")) or parse_day(request.args.get("week"))  # ``week``: older links
    first = month_of(requested, today, last)
    all_hours = _all_hours()
    days, hidden = _month_slots(offer, first, today, last, zone=zone, now=now, closer_id=closer_id, without=without)
    if requested is None and not days and month_last(first) < last:  # today's month is over: the next one
        first = month_last(first) + timedelta(days=1)
        days, hidden = _month_slots(offer, first, today, last, zone=zone, now=now, closer_id=closer_id, without=without)
    picker = month_picker(
        first, days, requested=requested, today=today, last_bookable=last, first_weekday=first_weekday(zone)
    )
    prospect.prospect_page(offer.business)
    return render_template(
        "booking/book.html",
        offer=offer,
        business=offer.business,
        brand_key=offer.booking_key,
        call_closer=page_data.closer_card(db.session, closer_id) if closer_id else None,
        zone=zone,
        zone_given=bool(tz_raw) and zone_error is None,
        errors=[e for e in (zone_error, closer_error, start_error) if e],
        zones=zone_options(now, zone) if request.args.get("zones") == "all" else [zone_option(zone, now)],  # on demand
        closers=closers,
        closer_id=closer_id,
        picker=picker,
        **picker_labels(picker, zone),
        all_hours=all_hours,
        hidden_night=hidden,
        daytime=daytime_label(zone),
        clock=clock_hours(zone),
        slot_links=slot_links,  # one url_for for the day's slot links, not one per slot
        query={
            "tz": zone if tz_raw else None,
            "closer": closer_id,
            "hours": "all" if all_hours else None,
            "without": without,
            **prospect.funnel_query(),
        },
    ), status


def _month_slots(
    offer: Offer,
    first: date,
    today: date,
    last: date,
    *,
    zone: str,
    now: datetime,
    closer_id: int | None,
    without: int | None = None,
) -> tuple[list[DaySlots], int]:
    """The free times of the month from ``first`` (inside today..``last``) by day, and how many night-time
    ones were left out (night-time slots in the prospect's zone only on demand, ``?hours=all``)."""
    from_day, to_day = max(today, first), min(last, month_last(first))
    if from_day > to_day:
        return [], 0
    days = page_data.offer_day_slots(
        db.session, offer, zone=zone, first=from_day, last=to_day, now=now, closer_id=closer_id, without=without
    )
    return (days, 0) if _all_hours() else daytime_only(days)


def _all_hours() -> bool:
    """``?hours=all``: the prospect asked for night-time slots too."""
    return request.args.get("hours") == "all"


def appointment_or_404(token: str, *, allow_cancelled: bool = False) -> Appointment:
    """The appointment of a manage link; 404 when forged (and, for changes, when cancelled)."""
    try:
        return service.appointment_for_token(db.session, token, allow_cancelled=allow_cancelled)
    except NotFound:
        abort(404)


@bp.get("/book/<key>/done/<token>")
def done(key: str, token: str) -> str:
    """The confirmation: the time in the prospect's zone, the closer, how to join, the manage link and the invite."""
    appointment = appointment_or_404(token, allow_cancelled=True)
    if appointment.offer.booking_key != key:
        abort(404)
    prospect.prospect_page(appointment.business)
    return render_template(
        "booking/done.html",
        appointment=appointment,
        offer=appointment.offer,
        business=appointment.business,
        brand_key=key,
        booked={"start": iso_z(appointment.starts_at), "end": iso_z(appointment.ends_at)},
        zone=appointment.prospect_timezone,
        summary=when_label(appointment.starts_at, appointment.ends_at, appointment.prospect_timezone),
        token=token,
    )


__all__ = ["bp"]


# Used by the views above; imported below ``bp`` because ``prospect`` adds its own pages to it.
from closerhub.booking.pages import prospect  # noqa: E402
