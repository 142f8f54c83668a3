"""What a booking email reads about the call, in its reader's language and zone: the day and time,
the other parties' local times where their clock differs, and how to join.

"Tuesday 5 January 2027, 10:00–10:45" in the reader's zone, then "04:00 for the prospect, Lea
(New York)". The caller forces the reader's locale (``flask_babel.force_locale``) and zone
(``i18n.reading_in_zone``); ``notify`` builds each message's variables from these.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from flask_babel import gettext as _

from closerhub.booking.calendar_files import ics
from closerhub.booking.models import Appointment, Channel
from closerhub.booking.recipients import CLOSER, PROSPECT, Recipient
from closerhub.core.tz import to_local
from closerhub.i18n import local_time, reader_locale, zone_city


def _day(instant: datetime, zone: str) -> str:
    return format_date(to_local(instant, zone).date(), "full", locale=reader_locale(zone))


def _time(instant: datetime, zone: str) -> str:
    return ics.clock_time(instant, zone)


def when_for(start: datetime, end: datetime | None, zone: str) -> str:
    """``Tuesday, January 5, 2027, 10:00 AM–10:45 AM`` in the reader's locale and ``zone`` (theirs)."""
    times = _time(start, zone) + (f"–{_time(end, zone)}" if end is not None else "")
    return f"{_day(start, zone)}, {times}"


def short_when(start: datetime, zone: str) -> str:
    """``Tue, Jan 5, 10:00 AM`` for subjects."""
    return f"{local_time(start, zone, 'day')}, {_time(start, zone)}"


def _other_time(start: datetime, zone: str, reference_zone: str) -> str:
    """The time in ``zone``, with its date when that differs from the date in ``reference_zone``."""
    if to_local(start, zone).date() != to_local(start, reference_zone).date():
        return f"{local_time(start, zone, 'day')}, {_time(start, zone)}"
    return _time(start, zone)


def _same_clock(start: datetime, zone: str, other: str) -> bool:
    """Whether two zones read the same wall-clock time at ``start`` (then the other's time goes unsaid)."""
    return to_local(start, zone).utcoffset() == to_local(start, other).utcoffset()


def other_times(appointment: Appointment, start: datetime, viewer: Recipient) -> list[str]:
    """The other parties' local times where their clock differs from the reader's:
    "04:00 for the prospect, Lea (New York)"."""
    lead, closer = appointment.lead, appointment.closer
    lines = []
    if viewer.role != PROSPECT and not _same_clock(start, appointment.prospect_zone, viewer.timezone):
        lines.append(
            _(
                "%(time)s for the prospect, %(name)s (%(zone)s)",
                time=_other_time(start, appointment.prospect_zone, viewer.timezone),
                name=lead.name,
                zone=zone_city(appointment.prospect_zone),  # where the prospect said they are
            )
        )
    if viewer.role != CLOSER and not _same_clock(start, closer.timezone, viewer.timezone):
        lines.append(
            _(
                "%(time)s for the closer, %(name)s (%(zone)s)",
                time=_other_time(start, closer.timezone, viewer.timezone),
                name=closer.name,
                zone=zone_city(closer.timezone),
            )
        )
    return lines


def join_text(appointment: Appointment) -> str:
    """How to join: the video link, or who calls whom at which number."""
    if appointment.channel == Channel.VIDEO:
        return _("Video call: %(url)s", url=appointment.meeting_url)
    return _("Phone call: %(plan)s", plan=ics.dial_plan_text(appointment))
