"""iCalendar documents of appointments: the invite attached to emails, and a closer's subscription feed.

Built with ``icalendar``. Every instant is written in UTC (``DTSTART:20270105T150000Z``), so
no VTIMEZONE is needed and every client shows the call at the right instant in its own zone;
the zones of both parties are spelled out in the DESCRIPTION for humans.

- ``invite``: one VEVENT in an iTIP message (RFC 5546). ``METHOD:REQUEST`` for a booking or a
  reschedule, ``METHOD:CANCEL`` for a cancellation. The UID is the appointment's stable
  ``uid`` and SEQUENCE its ``sequence`` (the booking service bumps it on every reschedule),
  so clients update the event they already have instead of adding a second one.
- ``feed``: a VCALENDAR without METHOD (a published calendar, not a message), for the
  closer's private subscription URL; cancelled calls stay in it as ``STATUS:CANCELLED`` so
  subscribed clients drop or strike them.

Texts (summary, description) follow the current locale; pass ``language`` to choose it,
as the emails do per recipient. DTSTAMP is the ``now`` the caller passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta

from babel.dates import format_date
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from closerhub.booking.models import Appointment, AppointmentStatus, Channel
from closerhub.core.tz import to_local
from closerhub.core.when import NARROW_NBSP
from closerhub.i18n import local_time, reader_locale, zone_city

PRODID = "-//CloserHub//Booking//EN"
METHODS = ("REQUEST", "CANCEL")
FEED_REFRESH = timedelta(minutes=15)  # how often subscribed clients should poll (most poll less often)


@contextmanager
def _locale(language: str | None) -> Iterator[None]:
    """Render in ``language``; without one, the request's locale, or the default outside requests."""
    if language is None and has_request_context():
        ctx = nullcontext()
    else:
        ctx = force_locale(language or current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))
    with ctx:
        yield


def clock_time(instant: datetime, zone: str) -> str:
    """The wall-clock time in ``zone``, short form of the reader's locale (``4:00 PM``, ``16:00``).

    CLDR puts a narrow no-break space before AM/PM; a plain space survives every mail and calendar client.
    """
    return local_time(instant, zone, "time").replace(NARROW_NBSP, " ")


def local_label(instant: datetime, zone: str) -> str:
    """``Tuesday, January 5, 2027, 10:00 AM (New York)`` in the reader's locale: the zone by its city."""
    day = format_date(to_local(instant, zone).date(), "full", locale=reader_locale(zone))
    return f"{day}, {clock_time(instant, zone)} ({zone_city(zone)})"


def dial_plan_text(appointment: Appointment) -> str:
    """Who calls whom at which number, for a phone call (empty for video)."""
    if appointment.channel != Channel.PHONE:
        return ""
    closer, lead = appointment.closer.name, appointment.prospect_name
    if appointment.dial_from == "prospect":
        return _("%(lead)s calls %(closer)s at %(number)s.", lead=lead, closer=closer, number=appointment.dial_number)
    return _("%(closer)s calls %(lead)s at %(number)s.", closer=closer, lead=lead, number=appointment.dial_number)


def summary_text(appointment: Appointment) -> str:
    """``Closing call: <offer> — <lead> with <closer>``."""
    return _(
        "Closing call: %(offer)s — %(lead)s with %(closer)s",
        offer=appointment.offer.name,
        lead=appointment.prospect_name,
        closer=appointment.closer.name,
    )


def description_text(appointment: Appointment) -> str:
    """The event body: how to join, and the time for each party in their own zone."""
    lines = [summary_text(appointment), ""]
    if appointment.status == AppointmentStatus.CANCELLED:
        lines += [_("This call was cancelled."), ""]
    if appointment.channel == Channel.VIDEO:
        lines.append(_("Join the video call: %(url)s", url=appointment.meeting_url))
    else:
        lines.append(_("Phone call: %(plan)s", plan=dial_plan_text(appointment)))
    lines += [
        "",
        _(
            "For the prospect (%(name)s): %(when)s",
            name=appointment.prospect_name,
            when=local_label(appointment.starts_at, appointment.prospect_zone),
        ),
        _(
            "For the closer (%(name)s): %(when)s",
            name=appointment.closer.name,
            when=local_label(appointment.starts_at, appointment.closer.timezone),
        ),
        "",
        _("Offer of %(business)s.", business=appointment.business.name),
    ]
    return "\n".join(lines)


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = value
    return address


def _event(appointment: Appointment, stamp: datetime) -> Event:
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event = Event()
    event.add("uid", appointment.uid)
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", summary_text(appointment))
    event.add("description", description_text(appointment))
    if appointment.channel == Channel.VIDEO and appointment.meeting_url:
        event.add("location", appointment.meeting_url)
        event.add("url", appointment.meeting_url)
    else:
        event.add("location", dial_plan_text(appointment))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    # The closer hosts the call; the prospect booked it, so both have already accepted (no RSVP).
    closer, lead = appointment.closer, appointment.lead
    event.add("organizer", _address(closer.email, closer.name))
    for email, name in ((lead.email, appointment.prospect_name), (closer.email, closer.name)):
        event.add(
            "attendee",
            _address(email, name, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE", CUTYPE="INDIVIDUAL"),
        )
    for guest in appointment.guests or []:  # invited by the prospect (``booking.guests``)
        event.add(
            "attendee",
            _address(
                guest["email"],
                guest["name"],
                ROLE="OPT-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="FALSE",
                CUTYPE="INDIVIDUAL",
            ),
        )
    return event


def _calendar(**props: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    for key, value in props.items():
        cal.add(key.replace("_", "-"), value)
    return cal


def invite(appointment: Appointment, *, method: str, language: str | None = None, now: datetime) -> bytes:
    """The iTIP invite of ``appointment``: ``method`` is ``"REQUEST"`` (booked, rescheduled) or ``"CANCEL"``.

    A CANCEL always carries ``STATUS:CANCELLED``, even if the row is not (yet) cancelled.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    with _locale(language):
        cal = _calendar(method=method)
        event = _event(appointment, now)
        if method == "CANCEL":
            event["status"] = vText("CANCELLED")
        cal.add_component(event)
    return cal.to_ical()


def feed(appointments: Iterable[Appointment], *, name: str, language: str | None = None, now: datetime) -> bytes:
    """A subscribable calendar (``X-WR-CALNAME`` = ``name``) of ``appointments``, as given.

    The caller picks the window (see ``calendar_feed``); cancelled calls are kept as
    ``STATUS:CANCELLED`` so a client that already shows them removes them.
    """
    with _locale(language):
        cal = _calendar(x_wr_calname=name)
        cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT15M")  # the same, for Outlook
        for appointment in appointments:
            cal.add_component(_event(appointment, now))
    return cal.to_ical()
