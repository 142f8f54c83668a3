"""The page reads its figures grouped several ways in one statement (PostgreSQL GROUPING SETS; SQLite
one query per grouping): the result must be exactly what one query per grouping gives, and long
tables list their first rows on the page with the count of the others (the CSV has them all)."""

from __future__ import annotations

from closerhub.analytics import queries
from closerhub.analytics import revenue as money
from closerhub.analytics.table_kinds import PAGE_ROWS, Column, Table
from closerhub.extensions import db
from tests.integration.test_analytics import NOW, world  # noqa: F401  (the fixture)


def test_grouped_reads_equal_one_query_per_grouping(app, world) -> None:  # noqa: F811
    a, _b = world
    for scope in (queries.Scope(), queries.Scope(business_id=a.offer.business_id)):
        weeks = queries.week_buckets(NOW, "Europe/Paris", 12)
        together = queries.performance_by(db.session, scope, weeks, ["week", "closer", "offer"], limit=1)
        assert together["week"] == queries.performance(db.session, scope, weeks, "week")
        assert together["closer"] == queries.performance(db.session, scope, weeks, "closer", limit=1)
        assert together["offer"] == queries.performance(db.session, scope, weeks, "offer", limit=1)
        assert sum(p.appointments for p in together["week"]) > 0
        money_together = money.revenue_by(db.session, scope, weeks, [None, "closer", "offer"])
        for by in (None, "closer", "offer"):
            alone = money.revenue_by(db.session, scope, weeks, [by])[by]
            assert money_together[by] == alone  # type: ignore[index]
            assert alone, by


def test_a_long_table_lists_its_first_rows_and_counts_the_rest() -> None:
    table = Table("t", "T", [Column("n", "N")], [{"n": i} for i in range(PAGE_ROWS + 7)])
    assert [r["n"] for r in table.shown] == list(range(PAGE_ROWS))
    assert table.more == 7
    assert Table("t", "T", [], [{"n": 1}]).more == 0
