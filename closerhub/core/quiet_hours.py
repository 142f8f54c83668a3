"""Quiet hours for text messages: none between 21:00 and 08:00 on the recipient's wall clock.

``sms_send_time`` moves a message that falls in the quiet hours earlier, to 20:45 the evening
before (the last quarter hour before they start), when that is not too early (``max_early``)
and not before ``not_before`` (when the call was booked or moved: a message cannot go before
its reason existed); otherwise it is skipped (None). Wall times come from the zone's rules on
the day itself (``core.tz``), so a reminder 24 hours before a call on the morning after a DST
change is judged at its real local time, not at the offset of the call.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from closerhub.core.tz import local_to_utc, to_local

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
MOVED_TO = time(20, 45)


def is_quiet(instant: datetime, zone: str) -> bool:
    """True when ``instant`` falls between 21:00 and 08:00 in ``zone``."""
    wall = to_local(instant, zone).time()
    return wall >= QUIET_START or wall < QUIET_END


def sms_send_time(due: datetime, zone: str, *, not_before: datetime, max_early: timedelta) -> datetime | None:
    """When to send a message due at ``due`` to someone in ``zone``; None: skip it."""
    if not is_quiet(due, zone):
        return due
    local = to_local(due, zone)
    evening = local.date() if local.time() >= QUIET_START else local.date() - timedelta(days=1)
    moved = local_to_utc(evening, MOVED_TO, zone)
    if moved is None or moved < not_before or due - moved > max_early:
        return None
    return moved
