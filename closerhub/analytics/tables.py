"""The tables of the analytics pages: one builder per table, shared by the page and its CSV download.

Each builder reads its figures from ``queries`` for the viewer's scope and period and
returns a ``Table`` of raw values (ints, rates 0–1, ``Money``, dates); the page formats
them for the user's locale and the CSV for spreadsheets, so both always show the same
numbers. Which tables a role gets is fixed here (``TABLES_BY_ROLE``): asking for another
role's table answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from closerhub.accounts.models import User
from closerhub.analytics import aggregates, money_queries, queries
from closerhub.analytics import revenue as money
from closerhub.analytics.queries import Performance
from closerhub.analytics.revenue import Revenue
from closerhub.analytics.table_kinds import Column, Context, Table, lost_reason_labels, technique_labels
from closerhub.core.money import Money
from closerhub.i18n import zone_city

# --- call performance (counts and rates) ----------------------------------------------------


def _perf_columns() -> list[Column]:
    return [
        Column("appointments", _("Appointments")),
        Column("completed", _("Completed")),
        Column("no_show", _("No-shows")),
        Column("cancelled", _("Cancelled")),
        Column("show_rate", _("Show rate"), "rate"),
        Column("held", _("Calls held")),
        Column("won", _("Won")),
        Column("close_rate", _("Close rate"), "rate"),
    ]


def _perf_row(p: Performance) -> dict[str, Any]:
    return {
        "appointments": p.appointments,
        "completed": p.completed,
        "no_show": p.no_show,
        "cancelled": p.cancelled,
        "show_rate": p.show_rate,
        "held": p.held,
        "won": p.won,
        "close_rate": p.close_rate,
    }


# Which grouping of the call counts each table reads; a page reads all it needs in one go.
_GROUPING_OF = {
    "weekly": "week",
    "summary": "week",
    "by_closer": "closer",
    "top_closers": "closer",
    "by_offer": "offer",
}
TOP_CLOSERS = 10


def _performance(ctx: Context, by: str) -> list[Performance]:
    """The call counts grouped ``by`` week, closer or offer, read once per request for every table of the page
    (on PostgreSQL in one scan: ``queries.performance_by``)."""
    if "performance" not in ctx.shared:
        slugs = builders_for(ctx.user)
        groupings = sorted({g for slug, g in _GROUPING_OF.items() if slug in slugs} | {by})
        limit = TOP_CLOSERS if "top_closers" in slugs and "by_closer" not in slugs else None
        # The worker's sums (admins, businesses: ``analytics.aggregates``) or one scan of the calls.
        read = aggregates.performance_by if aggregates.serves(ctx.scope, ctx.weeks) else queries.performance_by
        ctx.shared["performance"] = read(ctx.session, ctx.scope, ctx.weeks, groupings, limit=limit)  # type: ignore[arg-type]
    rows: list[Performance] = ctx.shared["performance"][by]
    return rows


def weekly(ctx: Context) -> Table:
    rows = _performance(ctx, "week")
    columns = [Column("week", _("Week starting (%(zone)s)", zone=zone_city(ctx.zone)), "date"), *_perf_columns()]
    return Table(
        "weekly",
        _("Calls per week"),
        columns,
        [{"week": w.start_date, **_perf_row(p)} for w, p in zip(ctx.weeks, rows, strict=True)],
    )


def summary(ctx: Context) -> Table:
    p = queries.total(_performance(ctx, "week"))
    note = _(
        "Show rate: completed ÷ (completed + no-shows). Close rate: won ÷ calls held. Cancelled calls do not count."
    )
    return Table("summary", _("Summary"), _perf_columns(), [_perf_row(p)], note)


def _by(ctx: Context, slug: str, by: str, title: str, label: str, limit: int | None = None) -> Table:
    rows = _performance(ctx, by)[:limit]
    columns = [Column("name", label, "text"), *_perf_columns()]
    return Table(slug, title, columns, [{"name": p.label, **_perf_row(p)} for p in rows])


def by_closer(ctx: Context) -> Table:
    return _by(ctx, "by_closer", "closer", _("Per closer"), _("Closer"))


def by_offer(ctx: Context) -> Table:
    return _by(ctx, "by_offer", "offer", _("Per offer"), _("Offer"))


def top_closers(ctx: Context) -> Table:
    return _by(ctx, "top_closers", "closer", _("Top closers (most deals won)"), _("Closer"), limit=TOP_CLOSERS)


# --- money ----------------------------------------------------------------------------------


def _money_columns(business_view: bool) -> list[Column]:
    columns = [
        Column("currency", _("Currency"), "text"),
        Column("deals", _("Deals won")),
        Column("revenue", _("Revenue closed"), "money"),
        Column("commission", _("Commission"), "money"),
    ]
    if business_view:
        columns += [
            Column("fees", _("Platform fees"), "money"),
            Column("owed", _("Commission + fees owed"), "money"),
            Column("paid", _("Commission + fees paid"), "money"),
            Column("roi", _("Revenue per unit paid (ROI)"), "multiple"),
        ]
    # Cash collected against the contract value (last, so earlier exports keep their columns' places).
    return [
        *columns,
        Column("collected", _("Cash collected"), "money"),
        Column("collection_rate", _("Collection rate"), "rate"),
    ]


def _money_row(r: Revenue) -> dict[str, Any]:
    def m(amount: int) -> Money:
        return Money(amount, r.currency)

    return {
        "name": r.label,
        "currency": r.currency,
        "deals": r.deals,
        "revenue": m(r.revenue),
        "collected": m(r.collected),
        "collection_rate": r.collection_rate,
        "commission": m(r.commission),
        "fees": m(r.fees),
        "owed": m(r.owed),
        "paid": m(r.paid),
        "roi": r.roi,
    }


def _money_note(business_view: bool) -> str:
    if business_view:
        return _(
            "Won deals of the calls in the period, per currency. Cash collected: the instalments marked "
            "collected, net of refunds; collection rate: cash collected ÷ revenue closed (the contract value). "
            "Owed: not charged yet (disputed deals excluded). ROI: revenue closed ÷ commission and fees paid."
        )
    return _("Won deals of your calls in the period, per currency; voided deals excluded.")


_REVENUE_GROUPING_OF = {"revenue": None, "revenue_by_closer": "closer", "revenue_by_offer": "offer"}


def _revenue(ctx: Context, by: money.Grouping) -> list[Revenue]:
    """The money figures grouped ``by`` closer, offer or neither, read once per request for every table
    of the page (on PostgreSQL in one statement: ``revenue.revenue_by``)."""
    if "revenue" not in ctx.shared:
        slugs = builders_for(ctx.user)
        groupings = {g for slug, g in _REVENUE_GROUPING_OF.items() if slug in slugs} | {by}
        ctx.shared["revenue"] = money.revenue_by(ctx.session, ctx.scope, ctx.weeks, list(groupings))  # type: ignore[arg-type]
    rows: list[Revenue] = ctx.shared["revenue"][by]
    return rows


def revenue(ctx: Context) -> Table:
    rows = _revenue(ctx, None)
    title = _("Revenue closed and commission")
    return Table("revenue", title, _money_columns(True), [_money_row(r) for r in rows], _money_note(True))


def _revenue_by(ctx: Context, slug: str, by: str, title: str, label: str) -> Table:
    rows = _revenue(ctx, by)  # type: ignore[arg-type]
    columns = [Column("name", label, "text"), *_money_columns(True)]
    return Table(slug, title, columns, [_money_row(r) for r in rows], _money_note(True))


def revenue_by_closer(ctx: Context) -> Table:
    return _revenue_by(ctx, "revenue_by_closer", "closer", _("Revenue and commission per closer"), _("Closer"))


def revenue_by_offer(ctx: Context) -> Table:
    return _revenue_by(ctx, "revenue_by_offer", "offer", _("Revenue and commission per offer"), _("Offer"))


def closer_revenue(ctx: Context) -> Table:
    rows = _revenue(ctx, None)
    title = _("Revenue closed and commission")
    return Table("revenue", title, _money_columns(False), [_money_row(r) for r in rows], _money_note(False))


def earnings(ctx: Context) -> Table:
    assert ctx.scope.closer_id is not None
    series = money_queries.earnings_by_week(ctx.session, ctx.scope.closer_id, ctx.weeks)
    columns = [
        Column("currency", _("Currency"), "text"),
        Column("week", _("Week starting (%(zone)s)", zone=zone_city(ctx.zone)), "date"),
        Column("earned", _("Earned in the week (net)"), "money"),
        Column("pending", _("Pending at week end"), "money"),
        Column("available", _("Available at week end"), "money"),
        Column("paid", _("Paid at week end"), "money"),
    ]
    rows = [
        {
            "currency": currency,
            "week": e.week.start_date,
            "earned": Money(e.earned, currency),
            "pending": Money(e.pending, currency),
            "available": Money(e.available, currency),
            "paid": Money(e.paid, currency),
        }
        for currency, weeks in series.items()
        for e in weeks
    ]
    note = _(
        "From your ledger: what was earned each week net of reversals, and where your money stood at the week's end."
    )
    return Table("earnings", _("Earnings by week"), columns, rows, note)


def platform_fees(ctx: Context) -> Table:
    rows = money_queries.platform_fees(ctx.session, ctx.weeks)
    columns = [
        Column("currency", _("Currency"), "text"),
        Column("charges", _("Charges paid")),
        Column("commission", _("Commission"), "money"),
        Column("fees", _("Platform fees"), "money"),
        Column("refunded", _("Refunded"), "money"),
    ]
    data = [
        {
            "currency": f.currency,
            "charges": f.charges,
            "commission": Money(f.commission, f.currency),
            "fees": Money(f.fees, f.currency),
            "refunded": Money(f.refunded, f.currency),
        }
        for f in rows
    ]
    note = _("Charges businesses paid in the period, by the day they were paid.")
    return Table("platform_fees", _("Platform fees by currency"), columns, data, note)


def disputes(ctx: Context) -> Table:
    count, rows = money_queries.open_disputes(ctx.session)
    columns = [
        Column("outcome", _("Outcome")),
        Column("business", _("Business"), "text"),
        Column("closer", _("Closer"), "text"),
        Column("value", _("Deal value"), "money"),
        Column("disputed_at", _("Disputed at (%(zone)s)", zone=zone_city(ctx.zone)), "datetime"),
        Column("reason", _("Reason"), "text"),
    ]
    data = [
        {
            "outcome": d.outcome_id,
            "business": d.business,
            "closer": d.closer,
            "value": Money(d.deal_amount, d.currency) if d.deal_amount is not None and d.currency else None,
            "disputed_at": d.disputed_at,
            "reason": d.reason,
        }
        for d in rows
    ]
    title = _("Disputes open: %(count)d", count=count)
    return Table("disputes", title, columns, data, _("Open now, oldest first (at most 100 listed)."), count=count)


# --- categories -----------------------------------------------------------------------------


def lost_reasons(ctx: Context) -> Table:
    rows = queries.lost_reasons(ctx.session, ctx.scope, ctx.weeks)
    lost = sum(r.count for r in rows)
    labels = lost_reason_labels()
    columns = [
        Column("reason", _("Lost reason"), "text"),
        Column("count", _("Deals lost")),
        Column("share", _("Share"), "rate"),
    ]
    data = [{"reason": labels.get(r.key, r.key or ""), "count": r.count, "share": r.count / lost} for r in rows]
    return Table("lost_reasons", _("Top lost reasons"), columns, data)


def techniques(ctx: Context) -> Table:
    rows = queries.techniques(ctx.session, ctx.scope, ctx.weeks)
    labels = technique_labels()
    columns = [
        Column("technique", _("Closing technique"), "text"),
        Column("held", _("Calls held")),
        Column("won", _("Won")),
        Column("close_rate", _("Close rate"), "rate"),
    ]
    data = [
        {"technique": labels.get(r.key, r.key or ""), "held": r.count, "won": r.won, "close_rate": r.close_rate}
        for r in rows
    ]
    return Table("techniques", _("Close rate by technique"), columns, data)


Builder = Callable[[Context], Table]

TABLES_BY_ROLE: dict[str, dict[str, Builder]] = {
    "closer": {
        "summary": summary,
        "weekly": weekly,
        "earnings": earnings,
        "revenue": closer_revenue,
        "lost_reasons": lost_reasons,
        "techniques": techniques,
    },
    "business": {
        "summary": summary,
        "weekly": weekly,
        "revenue": revenue,
        "by_closer": by_closer,
        "revenue_by_closer": revenue_by_closer,
        "by_offer": by_offer,
        "revenue_by_offer": revenue_by_offer,
        "lost_reasons": lost_reasons,
        "techniques": techniques,
    },
    "admin": {
        "summary": summary,
        "weekly": weekly,
        "platform_fees": platform_fees,
        "disputes": disputes,
        "top_closers": top_closers,
    },
}


def builders_for(user: User) -> dict[str, Builder]:
    """The tables ``user``'s role may see, in page order."""
    return TABLES_BY_ROLE[user.role.value]


def _add_show_up() -> None:
    """Every role also gets the show-rate table (``analytics.show_up``, which builds on this module)."""
    from closerhub.analytics.show_up import show_up

    for tables in TABLES_BY_ROLE.values():
        tables["show_up"] = show_up


_add_show_up()
