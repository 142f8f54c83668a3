"""The closer's own calendars as busy time: calendars' part of the slot seam (``closers.rules.busy_intervals``).

Busy times read from the calendars (``ExternalBusy``, ``Busy.external``), and a calendar
unreadable past its threshold (``CalendarConnection.fails_closed_at``, unless the closer chose
to keep offering) makes the whole window busy: fail closed. Registered by the app factory after
booking's calls (``closers.rules.add_busy_source``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Exists, Select, bindparam, literal, select

from closerhub.calendars.models import CalendarConnection, CalendarPreference, ExternalBusy
from closerhub.closers.rules import BusySource
from closerhub.db import UTCDateTime


def _keeps_offering() -> Exists:
    return (
        select(CalendarPreference.closer_id)
        .where(
            CalendarPreference.closer_id == CalendarConnection.closer_id,
            CalendarPreference.keep_offering_when_unreadable.is_(True),
        )
        .exists()
    )


def calendar_busy_of_one(excluding: bool, dialect: str) -> list[Select[Any]]:
    """The closer's calendar busy times over ``[since, until)``, and the whole window if a calendar fails closed."""
    events = select(ExternalBusy.starts_at, ExternalBusy.ends_at, literal(True)).where(
        ExternalBusy.closer_id == bindparam("closer_id"),
        ExternalBusy.starts_at < bindparam("until"),
        ExternalBusy.ends_at > bindparam("since"),
    )
    unreadable = select(
        bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()), literal(True)
    ).where(
        select(CalendarConnection.id)
        .where(
            CalendarConnection.closer_id == bindparam("closer_id"),
            CalendarConnection.fails_closed_at <= bindparam("now", type_=UTCDateTime()),
            ~_keeps_offering(),
        )
        .exists()
    )
    return [events, unreadable]


def calendar_busy_of_many(dialect: str) -> list[Select[Any]]:
    """``calendar_busy_of_one`` for the closers in ``closer_ids``, with the closer id."""
    ids: BindParameter[list[int]] = bindparam("closer_ids", expanding=True)
    events = select(
        ExternalBusy.closer_id, ExternalBusy.starts_at, ExternalBusy.ends_at, literal(True), literal(False)
    ).where(
        ExternalBusy.closer_id.in_(ids),
        ExternalBusy.starts_at < bindparam("until"),
        ExternalBusy.ends_at > bindparam("since"),
    )
    unreadable = (
        select(
            CalendarConnection.closer_id,
            bindparam("since", type_=UTCDateTime()),
            bindparam("until", type_=UTCDateTime()),
            literal(True),
            literal(True),
        )
        .where(
            CalendarConnection.closer_id.in_(ids),
            CalendarConnection.fails_closed_at <= bindparam("now", type_=UTCDateTime()),
            ~_keeps_offering(),
        )
        .distinct()
    )
    return [events, unreadable]


CALENDAR_BUSY = BusySource(one=calendar_busy_of_one, many=calendar_busy_of_many)
