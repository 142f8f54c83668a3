"""Write and read the audit trail.

``record`` adds a row to the caller's session and never commits: the audit row and the
change it describes are written by the same transaction, so one never exists without
the other (a rolled-back change leaves no trace, a committed one always does).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from flask import has_request_context, request
from sqlalchemy import Insert, Select, insert, inspect, or_, select, text
from sqlalchemy.orm import Session

from closerhub.audit.models import AuditEntry

SYSTEM_LABEL = "system"


class Actor(Protocol):
    """Who acted, as the trail sees a user (``accounts.models.User``; audit sits below accounts)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> enum.Enum: ...


def actor_label(actor: Actor | str | None) -> str:
    """How the trail names an actor; kept as written even if the account changes later."""
    if actor is None:
        return SYSTEM_LABEL
    if isinstance(actor, str):
        return actor[:300]
    return f"{actor.name} <{actor.email}> ({actor.role.value})"[:300]


def jsonable(value: Any) -> Any:
    """Instants as ISO 8601, enums as their value, anything else unknown as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def object_ref(session: Session, obj: Any) -> tuple[str, str]:
    """``(object_type, object_id)`` of a model instance (flushed first if new) or a ``(type, id)`` pair."""
    if isinstance(obj, tuple):
        kind, key = obj
        return str(kind), str(key)
    state = inspect(obj)
    if state.identity is None:
        session.flush()  # a new row needs its id before we can point at it
    identity = inspect(obj).identity or ()
    name = getattr(obj, "__audit_type__", None) or _snake(type(obj).__name__)
    return name, ":".join(str(part) for part in identity)


def _snake(name: str) -> str:
    """``TeamInvitation`` → ``team_invitation``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def request_ip() -> str | None:
    """The client address of the current request, if there is one (``None`` for jobs and the CLI)."""
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:45] or None


def record(
    session: Session,
    *,
    actor: Actor | str | None,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
) -> AuditEntry:
    """Add an audit row for ``action`` on ``obj`` to ``session`` (the caller commits).

    ``actor`` is the user who acted, a label such as ``"system"``, or None for the system;
    ``obj`` a model instance or an ``(object_type, object_id)`` pair; ``before``/``after``
    the fields that changed, made JSON-safe here; ``now`` the operation's instant (the row's ``at``).
    """
    kind, key = object_ref(session, obj)
    entry = AuditEntry(
        **entry_values(actor=actor, action=action, object_type=kind, object_id=key, before=before, after=after, now=now)
    )
    session.add(entry)
    return entry


@functools.cache
def _insert() -> Insert:
    """The audit row's INSERT as a Core statement on the table (built once)."""
    return insert(AuditEntry.__table__)  # type: ignore[arg-type]


def entry_values(
    *,
    actor: Actor | str | None,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
) -> dict[str, Any]:
    """An audit row's column values: ``record`` builds its row from them, ``record_now`` inserts them."""
    return {
        "at": now,
        "actor_id": None if actor is None or isinstance(actor, str) else actor.id,
        "actor_label": actor_label(actor),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": jsonable(before) if before is not None else None,
        "after": jsonable(after) if after is not None else None,
        "ip": request_ip(),
    }


def record_now(
    session: Session,
    *,
    actor: Actor | str | None,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """As ``record``, but the row is sent at once as a prepared Core INSERT in the caller's transaction
    (no ORM object, no unit-of-work flush): for hot paths such as a booking (the caller commits)."""
    kind, key = object_ref(session, obj)
    values = entry_values(
        actor=actor, action=action, object_type=kind, object_id=key, before=before, after=after, now=now
    )
    session.execute(_insert(), values)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """The admin page's filters (all optional). Dates are whole UTC days, inclusive."""

    actor: str | None = (
        None  # a user id, or a name/email (see ``accounts.service.ids_matching``), or a system actor's label
    )
    actor_ids: tuple[int, ...] = ()  # the users a name/email ``actor`` stands for (``accounts.service.ids_matching``)
    action: str | None = None  # exact, or a prefix ending in "." such as "engagement."
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def entries_query(flt: AuditFilter) -> Select[tuple[AuditEntry]]:
    """Entries matching ``flt``, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if flt.actor:
        stmt = stmt.where(_actor_matches(flt))
    if flt.action:
        if flt.action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(flt.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.object_type:
        stmt = stmt.where(AuditEntry.object_type == flt.object_type)
    if flt.object_id:
        stmt = stmt.where(AuditEntry.object_id == flt.object_id)
    if flt.date_from:
        stmt = stmt.where(AuditEntry.at >= _utc_midnight(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(AuditEntry.at < _utc_midnight(flt.date_to) + timedelta(days=1))
    return stmt


ACTOR_MATCH_MAX = 100  # users a name search may stand for; a wider search should be narrowed


def _actor_matches(flt: AuditFilter) -> Any:
    """The actor condition: a user id, the users a name search found, else a system actor's exact label."""
    assert flt.actor is not None
    if flt.actor.isdigit():
        return AuditEntry.actor_id == int(flt.actor)
    if flt.actor_ids:
        # One id as an equality: SQLite reads ``IN (…)`` through the date index instead.
        return (
            AuditEntry.actor_id == flt.actor_ids[0]
            if len(flt.actor_ids) == 1
            else AuditEntry.actor_id.in_(flt.actor_ids)
        )
    return AuditEntry.actor_label == flt.actor


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def history(session: Session, obj: Any, limit: int = 50) -> list[AuditEntry]:
    """The latest entries about one object (a model instance or ``(type, id)``), newest first."""
    if isinstance(obj, tuple):
        kind, key = str(obj[0]), str(obj[1])
    else:
        kind, key = object_ref(session, obj)
    return list(session.scalars(entries_query(AuditFilter(object_type=kind, object_id=key)).limit(limit)))


def entries_by_actor_or_object(session: Session, user_id: int, limit: int = 50) -> list[AuditEntry]:
    """What a user did and what was done to their account, newest first (the user page)."""
    stmt = (
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user_id,
                (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user_id)),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# A "loose index scan": each step seeks the next action name in ``ix_audit_entries_action``, so
# the work grows with the number of distinct actions (dozens), not with the rows (millions).
# A plain SELECT DISTINCT reads the whole index on both databases.
ACTION_NAMES_SQL = text(
    "WITH RECURSIVE names(action) AS ("
    " SELECT min(action) FROM audit_entries"
    " UNION ALL"
    " SELECT (SELECT min(a.action) FROM audit_entries a WHERE a.action > names.action)"
    " FROM names WHERE names.action IS NOT NULL"
    ") SELECT action FROM names WHERE action IS NOT NULL"
)


def action_names(session: Session) -> list[str]:
    """Every action seen so far, in order, for the filter's suggestions (one index seek per action)."""
    return list(session.scalars(ACTION_NAMES_SQL))
