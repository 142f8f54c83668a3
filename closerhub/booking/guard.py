"""No double booking: the write lock, the row locks, and the database's last word.

The service checks the closer's busy time and then inserts. Two requests can pass the
check together, so the database decides (``booking.models``: a PostgreSQL exclusion
constraint, SQLite triggers). On SQLite the booking also takes the write lock *before*
its first read (``BEGIN IMMEDIATE``), so bookings queue and the check sees every
committed call; on PostgreSQL the constraint settles the race and the loser gets an
``IntegrityError`` that :func:`is_overlap` recognises.

The steps are plain named functions (``take_write_lock``, ``lock_for_booking``,
``write_booking``; the busy check is ``service.free_candidates``): the concurrency tests
widen or remove exactly these by monkeypatching them, so nothing here knows about tests.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, scoped_session

from closerhub.accounts.models import User
from closerhub.booking.models import OVERLAP_CONSTRAINT_NAME, OVERLAP_SQLITE_MESSAGE
from closerhub.core.errors import Conflict
from closerhub.core.i18n import N_
from closerhub.db_setup import _wants_write_lock
from closerhub.engagements.models import Engagement


class SlotUnavailable(Conflict):
    """The slot was taken (or is not free for this closer): 409 with the 3 nearest free slots.

    ``alternatives`` holds ``core.slots.Slot`` (one closer: ``closer_id``) or
    ``service.OfferSlot`` (routed, each with its ``closer_ids``).
    """

    code = "slot_unavailable"
    title = N_("Slot unavailable")

    def __init__(self, message: str, *, alternatives: list[Any] | None = None, field: str = "start"):
        super().__init__(message, field_errors={field: message})
        self.alternatives: list[Any] = list(alternatives or [])
        self.closer_id: int | None = None  # whose ``Slot``s the alternatives are, when one closer's

    def closer_ids_of(self, alternative: Any) -> list[int]:
        """The closers free at one of the ``alternatives``."""
        ids = list(getattr(alternative, "closer_ids", ()))
        return ids or ([self.closer_id] if self.closer_id is not None else [])


def _holds_write_lock(session: Session) -> bool:
    """Whether the session's open SQLite transaction began with ``BEGIN IMMEDIATE``."""
    return bool(_wants_write_lock(session.connection()))


def take_write_lock(session: Session) -> None:
    """On SQLite, make the session's transaction a writer from its first statement (``BEGIN IMMEDIATE``).

    A SQLite transaction that has read cannot start writing once another connection has
    committed, and a check made in a read snapshot may be stale; so a read transaction
    left open by the caller is ended first (it holds nothing: the caller commits once, in
    the service). POST web requests already began IMMEDIATE. PostgreSQL: nothing to do,
    the exclusion constraint settles races.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    real = session() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's db.session
    if real.in_transaction():
        if _holds_write_lock(real):
            return
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})


@runtime_checkable
class PreparedWrite(Protocol):
    """A write that sends its own statements (``booking.write.NewBooking``: Core INSERTs, no flush)."""

    def write(self, session: Session) -> None: ...


def write_booking(session: Session, row: Any | None = None) -> None:
    """Write a checked booking or change to the database, which has the last word.

    ``row``: a new booking prepared as Core INSERTs (``PreparedWrite``), or a model object to add
    and flush; None flushes the pending change. Called right after the busy check; the caller
    catches the database's refusal (:func:`is_overlap`). The window between the check and this
    write is the race the guard closes.
    """
    if isinstance(row, PreparedWrite):
        row.write(session)
        return
    if row is not None:
        session.add(row)
    session.flush()


def is_overlap(exc: IntegrityError | OperationalError) -> bool:
    """True when the error is the database refusing an overlapping booked call.

    PostgreSQL may also abort one of two bookings that wait on each other *while checking the
    exclusion constraint* (a deadlock: each waits to see whether the other's overlapping row
    commits). The survivor holds the slot, so for the victim the slot is taken, like a
    constraint violation (seen in the 50-client race test under load). This is PostgreSQL's
    documented behaviour, not a lock-order bug of ours: exclusion constraints are checked by
    an index scan after the insert, so two backends inserting conflicting rows at the same
    moment find each other's row and wait for each other, and the deadlock detector aborts
    one (src/backend/executor/execIndexing.c, "Exclusion Constraints").
    """
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if isinstance(exc, OperationalError):
        return "deadlock detected" in text and "exclusion constraint" in text
    return OVERLAP_CONSTRAINT_NAME in text or OVERLAP_SQLITE_MESSAGE in text


# --- row locks: one booking of a closer at a time (PostgreSQL) ------------------------------------

_HELD = "booking_row_locks"


def _held(session: Session) -> set[tuple[str, int]]:
    """The booking locks taken in the session's current transaction (forgotten when it ends)."""
    real = session() if isinstance(session, scoped_session) else session
    transaction = real.get_transaction()
    held = real.info.get(_HELD)
    if held is None or held[0] is not transaction:
        held = real.info[_HELD] = (transaction, set())
    return held[1]


def lock_for_booking(session: Session, *, engagement_id: int | None = None, closer_id: int | None = None) -> bool:
    """Row-lock what a booking is checked against, before reading it (PostgreSQL; once per transaction).

    The engagement (``FOR NO KEY UPDATE``: it cannot end meanwhile) and its closer's user row,
    or the closer alone: every booking of one closer, through any engagement or the booking
    page, then waits for the previous one to commit, so it reads their calls (the daily cap),
    and their search summary, as committed. Reads after the lock see that state (READ
    COMMITTED takes a snapshot per statement). SQLite writers hold the write lock already.
    Returns whether a lock was taken now (what was read before it may be stale).
    """
    if session.get_bind().dialect.name == "sqlite":
        return False
    held, took = _held(session), False
    if engagement_id is not None and ("engagement", engagement_id) not in held:
        took = True
        row = session.execute(
            locking_engagement_and_closer(select(Engagement.closer_id).where(Engagement.id == engagement_id))
        ).one_or_none()
        held.add(("engagement", engagement_id))
        if row is not None:
            held.add(("closer", row[0]))
    if closer_id is not None and ("closer", closer_id) not in held:
        session.execute(select(User.id).where(User.id == closer_id).with_for_update(key_share=True))
        held.add(("closer", closer_id))
        took = True
    return took


def locking_engagement_and_closer(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (a select from engagements) joined to the closer's user row, locking both as
    ``lock_for_booking`` does; a caller running it records the locks with ``mark_locked_for_booking``."""
    return stmt.join(User, User.id == Engagement.closer_id).with_for_update(of=(Engagement, User), key_share=True)


def mark_locked_for_booking(session: Session, *, engagement_id: int, closer_id: int) -> None:
    """Record that the caller's own query took ``lock_for_booking``'s locks on this engagement and closer."""
    _held(session).update({("engagement", engagement_id), ("closer", closer_id)})
