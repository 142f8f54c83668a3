"""iCalendar data → busy spans (UTC), for ICS subscriptions and CalDAV alike.

The rules (issue 16): only the window asked for (the booking horizon); cancelled events and
transparent ("free") ones do not block; an all-day event blocks its days in the closer's
zone; recurring events are expanded with their exceptions by ``recurring-ical-events``
(DST-correct: occurrences keep their wall time in their own zone); floating times are read
in the closer's zone; our own written-back calls (their UID is an appointment's) are skipped,
since the booked call already blocks that time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar

from closerhub import outbound
from closerhub.core.i18n import _

#: More events than this in one window is not a calendar a person keeps: refused as malformed.
MAX_SPANS = 20_000


class CalendarUnreadable(Exception):
    """The calendar could not be read; ``str(exc)`` is a message for its owner."""


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating: the closer's wall clock
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)  # a day: its local midnight


def _span(event: object, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    start_prop = event.get("DTSTART")  # type: ignore[attr-defined]
    if start_prop is None:
        return None
    start = start_prop.dt
    end_prop, duration = event.get("DTEND"), event.get("DURATION")  # type: ignore[attr-defined]
    if end_prop is not None:
        end = end_prop.dt
    elif duration is not None:
        end = start + duration.dt
    elif isinstance(start, datetime):
        return None  # an instant, no length: blocks nothing
    else:
        end = start + timedelta(days=1)  # an all-day event without an end is one day long
    first, last = _instant(start, zone), _instant(end, zone)
    return (first, last) if last > first else None


def busy_spans(
    documents: Iterable[bytes | str],
    *,
    zone: str,
    start: datetime,
    end: datetime,
    skip_uids: frozenset[str] | set[str] = frozenset(),
) -> list[tuple[datetime, datetime]]:
    """Busy spans touching ``[start, end)`` from one or more iCalendar documents, sorted, in UTC."""
    tz = ZoneInfo(zone)
    spans: list[tuple[datetime, datetime]] = []
    for document in documents:
        try:
            calendar = x_wr_timezone.to_standard(Calendar.from_ical(document))
            occurrences = recurring_ical_events.of(calendar).between(start, end)
        except Exception:  # any parse failure of foreign data is "malformed"
            raise CalendarUnreadable(_("The calendar could not be read: it is not valid iCalendar data.")) from None
        for event in occurrences:
            if event.name != "VEVENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            if str(event.get("UID", "")) in skip_uids:
                continue
            span = _span(event, tz)
            if span is not None and span[0] < end and span[1] > start:
                spans.append(span)
            if len(spans) > MAX_SPANS:
                raise CalendarUnreadable(_("The calendar holds too many events to be read."))
    return sorted(spans)


def read_feed(url: str, *, max_bytes: int, etag: str | None = None) -> tuple[bytes | None, str | None]:
    """Download an ICS subscription (``outbound.fetch``: checked address, bounded time and size).

    Returns ``(body, etag)``; ``body`` is None when the server answers 304 to ``etag`` (unchanged).
    """
    headers = {"Accept": "text/calendar"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        fetched = outbound.fetch(url, headers=headers, max_bytes=max_bytes)
    except outbound.OutboundError as exc:
        raise CalendarUnreadable(str(exc)) from None
    new_etag = next((v for k, v in fetched.headers.items() if k.lower() == "etag"), None)
    if fetched.status == 304 and etag:
        return None, etag
    if fetched.status in (401, 403):
        raise CalendarUnreadable(_("The calendar address refused access (HTTP %(status)d).", status=fetched.status))
    if fetched.status == 404:
        raise CalendarUnreadable(_("No calendar at this address (HTTP 404)."))
    if fetched.status != 200:
        raise CalendarUnreadable(_("The calendar server answered HTTP %(status)d.", status=fetched.status))
    if b"BEGIN:VCALENDAR" not in fetched.body[:4096]:
        raise CalendarUnreadable(_("The calendar could not be read: it is not valid iCalendar data."))
    return fetched.body, new_etag
