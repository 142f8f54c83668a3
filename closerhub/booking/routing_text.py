"""``Appointment.routing_reason`` as people read it: in their language, times in their zone.

The reason is stored as the English sentence ``booking.routing`` and ``booking.handover`` write (the
API returns it as is, and the log says the same). Pages read it back here, clause by clause, and
say it in the reader's words ("Round-robin: Claire was the only closer free (last booked Fri, Dec 4,
9:00 AM)"); a sentence this module does not know is shown as stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from closerhub.core.i18n import _
from closerhub.i18n import local_time

_PICKED = r"(?P<name>.+?) \(#\d+, last booked (?P<when>never|\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? UTC)\)"
_CHOSEN = re.compile(r"^Closer chosen by the booker: (?P<name>.+) \(#\d+\)\.$")
_ONLY = re.compile(rf"^Round-robin: {_PICKED} was the only closer free\.$")
_MANY = re.compile(rf"^Round-robin: (?P<n>\d+) closers free; picked the least recently booked, {_PICKED}, over .+\.$")
_REASSIGNED = re.compile(r"^Reassigned \((?P<why>[^,]+), from (?P<previous>.+?) #\d+\)\. (?P<rest>.+)$")
_WHY = {
    "the closer handed the call back": "handed_back",
    "the closer was suspended": "suspended",
}


def _when(raw: str) -> str:
    if raw == "never":
        return _("never booked")
    stamp = datetime.strptime(raw.removesuffix(" UTC")[:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return _("last booked %(when)s", when=local_time(stamp))


def routing_text(reason: str | None) -> str:
    """The stored routing reason in the reader's language (as stored when it is not one we wrote)."""
    reason = (reason or "").strip()
    if found := _REASSIGNED.match(reason):
        rest = routing_text(found["rest"])
        if _WHY.get(found["why"]) == "handed_back":
            return _("Reassigned: %(previous)s handed the call back. %(rest)s", previous=found["previous"], rest=rest)
        if _WHY.get(found["why"]) == "suspended":
            return _("Reassigned: %(previous)s was suspended. %(rest)s", previous=found["previous"], rest=rest)
        return reason
    if found := _CHOSEN.match(reason):
        return _("Closer chosen by the booker: %(name)s.", name=found["name"])
    if found := _ONLY.match(reason):
        return _(
            "Round-robin: %(name)s was the only closer free (%(when)s).", name=found["name"], when=_when(found["when"])
        )
    if found := _MANY.match(reason):
        return _(
            "Round-robin among %(n)s free closers: %(name)s, the least recently booked (%(when)s).",
            n=found["n"],
            name=found["name"],
            when=_when(found["when"]),
        )
    return reason
