"""A booking's writes as prepared Core statements (issue 18): no ORM unit of work on the hot path.

``book`` builds the ``Appointment`` as before (a transient object, never added to the session),
then ``guard.write_booking`` runs ``NewBooking.write``:

- PostgreSQL: **one statement** of data-modifying CTEs writes the call, its "booked" history
  line, its audit row and, unless events are handled inline, the worker's ``appointment.booked``
  outbox event (``_written_in_one``, built once);
- SQLite (no data-modifying CTEs): one prepared ``INSERT … RETURNING id`` per row.

The objects then join the session as already-persistent rows (``make_transient_to_detached`` +
``add``: no second INSERT, every column loaded), with the call's closer, lead and history set, so
the 201 body and the caller read them without a query. The database keeps the last word on
overlaps: the statement raises the ``IntegrityError`` the flush raised (``guard.is_overlap``).
``record_booked`` then adds the webhook event when the business has an enabled endpoint
(``webhooks.emit``; one known to have none costs no statement, see ``closer_facts``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Insert, Select, String, Table, bindparam, cast, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.audit.service import entry_values, record_now
from closerhub.booking import booked_event
from closerhub.booking.models import Appointment, AppointmentEvent
from closerhub.notifications.events import events_inline
from closerhub.notifications.models import OutboxEvent
from closerhub.webhooks.service import emit


@functools.cache
def _insert_returning_id(table: Table) -> Insert:
    """``INSERT INTO <table> … RETURNING id`` (built once per table; the column set comes from the params)."""
    return insert(table).returning(table.c.id)


def _column_values(obj: Any) -> dict[str, Any]:
    """The column values of a transient model object for its INSERT: those set, and None for the
    columns left unset that have no default (what the database stores for them), set on the object
    too, so that every column is loaded once it is persistent (no refresh when the 201 body reads it)."""
    table: Table = type(obj).__table__
    state_dict = obj.__dict__
    values: dict[str, Any] = {}
    for column in table.columns:
        key = column.key
        if key == "id":
            continue
        if key in state_dict:
            values[key] = state_dict[key]
        elif column.default is None and column.server_default is None:
            setattr(obj, key, None)
            values[key] = None
    return values


def _insert(session: Session, obj: Any, values: dict[str, Any] | None = None) -> None:
    """INSERT ``obj``'s row, give it its id and make it a persistent object of ``session`` (no flush)."""
    table: Table = type(obj).__table__
    obj.id = session.execute(_insert_returning_id(table), values or _column_values(obj)).scalar_one()
    _make_persistent(session, obj)


def _make_persistent(session: Session, obj: Any) -> None:
    """``obj`` (transient, its id set, its row written) as a persistent object of ``session``: no INSERT."""
    make_transient_to_detached(obj)
    session.add(obj)


def _sent(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the Nones the database would store anyway (no default, not JSON, whose None
    is the JSON ``null``): fewer parameters, so psycopg keeps the statement in its query cache (at most
    ``psycopg._queries.MAX_CACHED_STATEMENT_PARAMS``, 50; converting it again costs ≈ 1 ms)."""
    columns = table.c
    return {
        k: v
        for k, v in values.items()
        if v is not None
        or isinstance(columns[k].type, JSON)
        or columns[k].default is not None
        or columns[k].server_default is not None
    }


@functools.lru_cache(maxsize=64)
def _written_in_one(call: tuple[str, ...], line: tuple[str, ...], with_event: bool) -> Select[Any]:
    """PostgreSQL: the call, its history line, its audit row and (``with_event``) its outbox event in one
    statement (data-modifying CTEs), returning the call's and the line's ids. Every value is a typed
    bound parameter (``a_``, ``e_``, ``u_``, ``o_`` + column; ``call`` and ``line``: the columns given of
    the call and the line); the rows that need the call's id take it from the first CTE (the audit's
    ``object_id``, the event's ``ref`` and ``params.appointment_id``). Built once per shape."""
    appointments = cast_table(Appointment)
    events = cast_table(AppointmentEvent)
    entries = cast_table(AuditEntry)
    new = (
        insert(appointments)
        .values({appointments.c[k]: bindparam(f"a_{k}", type_=appointments.c[k].type) for k in call})
        .returning(appointments.c.id)
        .cte("new_appointment")
    )
    event = (
        insert(events)
        .from_select(
            [events.c.appointment_id, *(events.c[k] for k in line)],
            select(new.c.id, *(bindparam(f"e_{k}", type_=events.c[k].type) for k in line)),
        )
        .returning(events.c.id, events.c.appointment_id)
        .cte("new_event")
    )
    row = [c for c in entries.columns if c.key not in ("id", "object_id")]
    audit_row = (
        insert(entries)
        .from_select(
            [entries.c.object_id, *row],
            select(cast(new.c.id, String), *(bindparam(f"u_{c.key}", type_=c.type) for c in row)),
        )
        .cte("new_audit")
    )
    statement = select(event.c.appointment_id, event.c.id).add_cte(audit_row)
    if not with_event:
        return statement
    outbox = cast_table(OutboxEvent)
    rest = [c for c in outbox.columns if c.key not in ("id", "ref", "params", "last_error", "handled_at")]
    with_id = cast(bindparam("o_params", type_=JSONB), JSONB).op("||")(
        func.jsonb_build_object(literal_column("'appointment_id'"), new.c.id)
    )
    outbox_row = (
        insert(outbox)
        .from_select(
            [outbox.c.ref, outbox.c.params, *rest],
            select(
                literal_column(f"'{booked_event.REF_PREFIX}'") + cast(new.c.id, String),
                cast(with_id, JSON),
                *(bindparam(f"o_{c.key}", type_=c.type) for c in rest),
            ),
        )
        .cte("new_outbox_event")
    )
    return statement.add_cte(outbox_row)


def cast_table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


class NewBooking:
    """A checked booking, ready for ``guard.write_booking``: the call, its "booked" history line and
    its audit row (``audit_after``: the audit's ``after``)."""

    def __init__(
        self,
        appointment: Appointment,
        *,
        at: datetime,
        actor: User | None,
        actor_label: str,
        audit_after: dict[str, Any],
    ) -> None:
        self.appointment = appointment
        self.at = at
        self.event_written = False  # the outbox event was written with the call (PostgreSQL)
        self.actor = actor
        self.actor_label = actor_label
        self.audit_after = audit_after
        self.event = AppointmentEvent(
            kind="booked",
            at=at,
            actor_id=actor.id if actor is not None else None,
            actor_label=actor_label,
            from_start=None,
            to_start=appointment.starts_at,
            reason=None,
        )

    def _audit_values(self, object_id: str) -> dict[str, Any]:
        who = self.actor if self.actor is not None else self.actor_label
        return entry_values(
            actor=who,
            action="appointment.booked",
            object_type="appointment",
            object_id=object_id,
            after=self.audit_after,
            now=self.at,
        )

    def write(self, session: Session) -> None:
        """The INSERTs (the database refuses an overlapping call here); the objects then persistent.

        PostgreSQL: one statement (``_written_in_one``); SQLite, which has no data-modifying CTEs:
        one prepared INSERT per row.
        """
        appointment, event = self.appointment, self.event
        values = _column_values(appointment)
        in_one = session.get_bind().dialect.name == "postgresql" and len(values) == len(cast_table(Appointment).c) - 1
        if in_one:
            call = _sent(cast_table(Appointment), values)
            line = _sent(cast_table(AppointmentEvent), _column_values(event))
            line.pop("appointment_id", None)
            params = {f"a_{k}": v for k, v in call.items()}
            params.update({f"e_{k}": v for k, v in line.items()})
            params.update({f"u_{k}": v for k, v in self._audit_values("").items() if k != "object_id"})
            # The worker's event too, unless events are handled inline (its handler needs the call first).
            self.event_written = not events_inline()
            if self.event_written:
                queued = booked_event.booked_event_values(appointment, self.at)
                assert queued["last_error"] is None and queued["handled_at"] is None  # left out: NULL
                params.update({f"o_{k}": v for k, v in queued.items() if k not in ("ref", "last_error", "handled_at")})
            statement = _written_in_one(tuple(call), tuple(line), self.event_written)
            appointment.id, event.id = session.execute(statement, params).one()
            event.appointment_id = appointment.id
            _make_persistent(session, appointment)
            _make_persistent(session, event)
        else:
            _insert(session, appointment, values)
            event.appointment_id = appointment.id
            _insert(session, event)
            record_now(
                session,
                actor=self.actor if self.actor is not None else self.actor_label,
                action="appointment.booked",
                obj=appointment,
                after=self.audit_after,
                now=self.at,
            )
        set_committed_value(event, "appointment", appointment)
        set_committed_value(appointment, "events", [event])


def record_booked(session: Session, booking: NewBooking) -> None:
    """After ``NewBooking.write``: the ``appointment.booked`` webhook event when the business has an
    enabled endpoint (``webhooks.emit``), and the worker's outbox event (``booked_event.queue_booked``)
    unless it was written with the call; all in the booking's transaction (the caller commits)."""
    appointment = booking.appointment
    emit(session, appointment.business_id, "appointment.booked", appointment, now=booking.at)
    if not booking.event_written:
        booked_event.queue_booked(session, appointment, booking.at)
