"""Analytics figures, computed by the database: one grouped query per figure, never a loop over rows.

Periods are whole weeks in the viewer's zone (Monday 00:00 local to the next Monday), so a
week that contains a DST change is 167 or 169 hours long and a call at 00:30 on Monday
belongs to that Monday's week wherever UTC puts it. The week boundaries are computed here
in Python (a handful of instants) and each row is put in its bucket by a ``CASE`` over
them inside the query, which works the same on SQLite and PostgreSQL (SQLite has no
``VALUES … AS t(cols)``). The grouped queries read the bucket from a subquery so
PostgreSQL sees one grouping column, not a ``CASE`` with fresh bind parameters.

Definitions (the pages say them too):

- appointments: calls in the period that were not cancelled (by their start);
- show rate: completed / (completed + no-show), as on the closer's profile;
- close rate: won / calls held (an outcome other than no-show); a voided win is not a win;
- revenue closed: the deal values of won, non-voided outcomes of calls in the period;
- commission paid: what the business paid for those deals (their ``charges`` that were paid,
  net of refunds: commission + platform fee);
- commission owed: commission + fee of those deals not paid yet (no charge, or an unpaid one), disputes excluded;
  on cash collected, the unpaid charges of the instalments collected;
- cash collected: what the business marked collected of those deals' instalments, net of refunds;
  collection rate: cash collected ÷ revenue closed (the contract value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.businesses.models import Offer
from closerhub.core.errors import PermissionDenied
from closerhub.core.i18n import _
from closerhub.core.tz import day_bounds_utc, to_local
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus

RANGE_CHOICES = (4, 12, 26)  # weeks the page offers
DEFAULT_WEEKS = 12


# --- periods and scope --------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """One bucket: the local Monday it starts on and its UTC half-open range ``[start, end)``."""

    index: int
    start_date: date
    start: datetime
    end: datetime


def week_buckets(now: datetime, zone: str, count: int) -> list[Week]:
    """The ``count`` weeks (Monday to Monday in ``zone``) ending with the one that contains ``now``."""
    today = to_local(now, zone).date()
    first = today - timedelta(days=today.weekday(), weeks=count - 1)
    weeks = []
    for i in range(count):
        monday = first + timedelta(weeks=i)
        # day_bounds_utc handles a zone whose midnight is skipped on a DST day.
        weeks.append(Week(i, monday, day_bounds_utc(monday, zone)[0], day_bounds_utc(monday + timedelta(7), zone)[0]))
    return weeks


@dataclass(frozen=True)
class Scope:
    """Whose rows a figure reads: one closer's, one business's, or the whole platform's (admins)."""

    closer_id: int | None = None
    business_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Scope:
        """The only scope a user may see; derived from the user, never from request parameters."""
        if user.is_admin:
            return cls()
        if user.is_business and user.business_id is not None:
            return cls(business_id=user.business_id)
        if user.is_closer:
            return cls(closer_id=user.id)
        raise PermissionDenied(_("No analytics for this account."))

    def where(self, closer_col: Any, business_col: Any) -> list[ColumnElement[bool]]:
        """The filters restricting a query to this scope."""
        clauses: list[ColumnElement[bool]] = []
        if self.closer_id is not None:
            clauses.append(closer_col == self.closer_id)
        if self.business_id is not None:
            clauses.append(business_col == self.business_id)
        return clauses


def _week_of(column: Any, weeks: Sequence[Week]) -> Any:
    """``CASE`` giving the index of the week ``column`` falls in (indexes inlined: plain ints)."""
    return case(*((and_(column >= w.start, column < w.end), literal_column(str(w.index))) for w in weeks))


def _in_range(column: Any, weeks: Sequence[Week]) -> ColumnElement[bool]:
    return and_(column >= weeks[0].start, column < weeks[-1].end)


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _int(value: Any) -> int:
    return int(value or 0)  # PostgreSQL's SUM of bigint is numeric (Decimal); NULL when no rows


# --- calls and outcomes: appointments, show rate, close rate ------------------------------

GroupBy = Literal["week", "closer", "offer"]


def _ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (the page shows "—")."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Performance:
    """Counts of one group (a week, a closer, an offer, or everything)."""

    key: int | None = None
    label: str = ""
    appointments: int = 0  # not cancelled
    completed: int = 0
    no_show: int = 0
    cancelled: int = 0
    held: int = 0  # outcomes other than no-show
    won: int = 0

    @property
    def show_rate(self) -> float | None:
        return _ratio(self.completed, self.completed + self.no_show)

    @property
    def close_rate(self) -> float | None:
        return _ratio(self.won, self.held)

    def __add__(self, other: Performance) -> Performance:
        return Performance(
            None,
            "",
            self.appointments + other.appointments,
            self.completed + other.completed,
            self.no_show + other.no_show,
            self.cancelled + other.cancelled,
            self.held + other.held,
            self.won + other.won,
        )


_FLAGS = ("appointments", "completed", "no_show", "cancelled", "held", "won")


def _performance_rows(scope: Scope, weeks: Sequence[Week], where: Any = None) -> Any:
    """One row per call of the period (or matching ``where``): its week, closer and offer, a 0/1 flag per count."""
    a, o = Appointment, Outcome
    return (
        select(
            _week_of(a.starts_at, weeks).label("week"),
            a.closer_id.label("closer"),
            a.offer_id.label("offer"),
            _flag(a.status != AppointmentStatus.CANCELLED).label("appointments"),
            _flag(a.status == AppointmentStatus.COMPLETED).label("completed"),
            _flag(a.status == AppointmentStatus.NO_SHOW).label("no_show"),
            _flag(a.status == AppointmentStatus.CANCELLED).label("cancelled"),
            _flag(and_(o.id.is_not(None), o.result != OutcomeResult.NO_SHOW)).label("held"),
            _flag(and_(o.result == OutcomeResult.WON, o.status != OutcomeStatus.VOIDED)).label("won"),
        )
        .outerjoin(o, o.appointment_id == a.id)
        .where(_in_range(a.starts_at, weeks) if where is None else where, *scope.where(a.closer_id, a.business_id))
        .subquery()
    )


def _best_first(rows: list[Performance], limit: int | None) -> list[Performance]:
    """Most wins, then most calls held, then by name: the order of the per-closer and per-offer tables."""
    rows.sort(key=lambda p: (-p.won, -p.held, p.label, p.key or 0))
    return rows if limit is None else rows[:limit]


def _per_week(found: list[Performance], weeks: Sequence[Week]) -> list[Performance]:
    per_week = {p.key: p for p in found}
    return [per_week.get(w.index, Performance(w.index)) for w in weeks]


def performance(
    session: Session, scope: Scope, weeks: Sequence[Week], by: GroupBy, *, limit: int | None = None, rows: Any = None
) -> list[Performance]:
    """Appointments and outcomes of the calls in ``weeks``, grouped ``by`` week, closer or offer.

    One query: appointments LEFT JOIN their outcome, flags per row in a subquery, sums per
    group outside. ``by="week"`` answers every week (zeros included), in order; the others
    answer the groups that have calls, best first (most wins, then most calls held), at most ``limit``.
    ``rows`` replaces the calls by other rows of the same columns (``aggregates.grouped``).
    """
    rows = _performance_rows(scope, weeks) if rows is None else rows
    key = rows.c[by]
    sums = [func.sum(rows.c[name]) for name in _FLAGS]
    if by == "week":
        stmt = select(key, literal_column("''"), *sums).group_by(key)
    else:
        named = User if by == "closer" else Offer
        stmt = (
            select(key, named.name, *sums)
            .join(named, named.id == key)
            .group_by(key, named.name)
            .order_by(sums[5].desc(), sums[4].desc(), named.name, key)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
    found = [Performance(int(k), str(label), *(_int(v) for v in values)) for k, label, *values in session.execute(stmt)]
    return _per_week(found, weeks) if by == "week" else found


def performance_by(
    session: Session, scope: Scope, weeks: Sequence[Week], groupings: Sequence[GroupBy], *, limit: int | None = None
) -> dict[GroupBy, list[Performance]]:
    """``performance`` for several groupings at once (``limit`` applies to the closer and offer ones).

    On PostgreSQL one scan of the calls answers them all (``GROUP BY GROUPING SETS``: the
    week, the closer, the offer); SQLite has no grouping sets, so it runs one query per grouping.
    """
    if len(groupings) < 2 or session.get_bind().dialect.name != "postgresql":
        return {by: performance(session, scope, weeks, by, limit=None if by == "week" else limit) for by in groupings}
    rows = _performance_rows(scope, weeks)
    sets = (
        select(*(rows.c[by] for by in groupings), *(func.sum(rows.c[n]).label(n) for n in _FLAGS))
        .group_by(func.grouping_sets(*(rows.c[by] for by in groupings)))
        .subquery()
    )
    stmt = select(sets)
    if "closer" in groupings:
        stmt = stmt.add_columns(User.name.label("closer_name")).outerjoin(User, User.id == sets.c.closer)
    if "offer" in groupings:
        stmt = stmt.add_columns(Offer.name.label("offer_name")).outerjoin(Offer, Offer.id == sets.c.offer)
    found: dict[GroupBy, list[Performance]] = {by: [] for by in groupings}
    for row in session.execute(stmt):
        m = row._mapping
        counts = (_int(m[n]) for n in _FLAGS)
        by: GroupBy = next(g for g in groupings if m[g] is not None)  # the one set this row sums
        found[by].append(Performance(int(m[by]), str(m.get(f"{by}_name", "")), *counts))
    return {by: _per_week(found[by], weeks) if by == "week" else _best_first(found[by], limit) for by in groupings}


def total(rows: Sequence[Performance]) -> Performance:
    """The sum of grouped figures (a few aggregated rows, not the calls themselves)."""
    result = Performance()
    for row in rows:
        result = result + row
    return result


@dataclass(frozen=True)
class Count:
    """A category (a lost reason, a technique) with its count, and its wins where that means something."""

    key: str | None
    count: int
    won: int = 0

    @property
    def close_rate(self) -> float | None:
        return _ratio(self.won, self.count)


def _outcomes_in(scope: Scope, weeks: Sequence[Week]) -> list[ColumnElement[bool]]:
    return [
        _in_range(Appointment.starts_at, weeks),
        *scope.where(Appointment.closer_id, Appointment.business_id),
    ]


def lost_reasons(session: Session, scope: Scope, weeks: Sequence[Week]) -> list[Count]:
    """Lost deals per reason, most frequent first."""
    n = func.count(Outcome.id)
    stmt = (
        select(Outcome.lost_reason, n)
        .join(Appointment, Appointment.id == Outcome.appointment_id)
        .where(Outcome.result == OutcomeResult.LOST, *_outcomes_in(scope, weeks))
        .group_by(Outcome.lost_reason)
        .order_by(n.desc(), Outcome.lost_reason)
    )
    return [Count(reason.value if reason else None, int(count)) for reason, count in session.execute(stmt)]


def techniques(session: Session, scope: Scope, weeks: Sequence[Week]) -> list[Count]:
    """Calls held per closing technique (None: not recorded) and how many of them were won."""
    won = func.sum(_flag(and_(Outcome.result == OutcomeResult.WON, Outcome.status != OutcomeStatus.VOIDED)))
    n = func.count(Outcome.id)
    stmt = (
        select(Outcome.technique, n, won)
        .join(Appointment, Appointment.id == Outcome.appointment_id)
        .where(Outcome.result != OutcomeResult.NO_SHOW, *_outcomes_in(scope, weeks))
        .group_by(Outcome.technique)
        .order_by(n.desc(), Outcome.technique)
    )
    return [Count(t.value if t else None, int(count), _int(w)) for t, count, w in session.execute(stmt)]
