"""Booked calls as a closer's busy time: booking's part of the slot seam (``closers.rules.busy_intervals``).

Registered by the app factory (``closers.rules.add_busy_source``): closers sit below booking and
read booked calls only through this source.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, literal, select

from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.closers.rules import BusySource
from closerhub.db import UTCDateTime


def _booked_calls_touching_window() -> list[ColumnElement[bool]]:
    """Booked calls over ``[since, until)``, as conditions an index answers on both sides.

    PostgreSQL: also the range overlap of the exclusion constraint's GiST index
    (``tstzrange(starts_at, blocked_until)``, booked calls only), which it then can use;
    everywhere: ``starts_at`` between ``since - CALL_MAX`` and ``until`` (``closers.rules.CALL_MAX``).
    """
    return [
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.starts_at < bindparam("until"),
        Appointment.starts_at > bindparam("starts_after", type_=UTCDateTime()),
        Appointment.ends_at > bindparam("since"),
    ]


def _gist_overlap() -> ColumnElement[bool]:
    window = func.tstzrange(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
    return func.tstzrange(Appointment.starts_at, Appointment.blocked_until).op("&&")(window)


def calls_of_one(excluding: bool, dialect: str) -> list[Select[Any]]:
    """The closer's booked calls (``exclude_id`` left out when ``excluding``: a reschedule's own call)."""
    calls = select(Appointment.starts_at, Appointment.ends_at, literal(False).label("external")).where(
        Appointment.closer_id == bindparam("closer_id"), *_booked_calls_touching_window()
    )
    if dialect == "postgresql":
        calls = calls.where(_gist_overlap())
    if excluding:
        calls = calls.where(Appointment.id != bindparam("exclude_id"))
    return [calls]


def calls_of_many(dialect: str) -> list[Select[Any]]:
    """The booked calls of the closers in ``closer_ids``."""
    ids: BindParameter[list[int]] = bindparam("closer_ids", expanding=True)
    calls = select(
        Appointment.closer_id,
        Appointment.starts_at,
        Appointment.ends_at,
        literal(False).label("external"),
        literal(False).label("unreadable"),
    ).where(Appointment.closer_id.in_(ids), *_booked_calls_touching_window())
    if dialect == "postgresql":
        calls = calls.where(_gist_overlap())
    return [calls]


BOOKED_CALLS = BusySource(one=calls_of_one, many=calls_of_many)
