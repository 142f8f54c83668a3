"""Analytics on the real database: exact figures per week in the viewer's zone (across a DST change),
tenant isolation on pages and CSV files, CSV content and formula escaping, bad periods refused.

The story (viewer: a closer in Europe/Paris, "now" Wednesday 8 April 2026; Paris moves to
summer time on Sunday 29 March). The last four weeks start on Mondays 16 Mar, 23 Mar,
30 Mar and 6 Apr, local time. Calls of closer A for business A:

- Tue 17 Mar: won 1,000.00 EUR (summary), confirmed, its charge paid (manual mode: an admin marks it paid);
- Wed 18 Mar: lost on price (direct ask);
- Sun 22 Mar 23:30 UTC = Mon 23 Mar 00:30 in Paris: no-show;
- Wed 25 Mar: lost on price (summary);
- Sun 29 Mar 22:30 UTC = Mon 30 Mar 00:30 in Paris (summer time): won 2,000.00 EUR (summary), not confirmed yet;
- Tue 7 Apr: cancelled; Thu 9 Apr: booked.

In UTC weeks the two Sunday-night calls would fall a week earlier: the per-week figures prove the zone.
Business B (closer C) has a paid 10,000.00 EUR deal and a disputed one; its names try CSV injection.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from closerhub import clock, jobs
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import service as charges
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from tests.conftest import _logged_in
from tests.integration.outcome_support import make_call, make_deal

NOW = datetime(2026, 4, 8, 12, 0, tzinfo=UTC)
WEEKS = ["2026-03-16", "2026-03-23", "2026-03-30", "2026-04-06"]
EVIL_OFFER = '=HYPERLINK("http://evil.example","x")'
EVIL_CLOSER = "@SUM(1+1)"
EVIL_REASON = "-2+3+cmd|' /C calc'!A0"


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def report(deal, start: datetime, result: str, **fields) -> Outcome:
    """A call at ``start`` and its outcome, recorded by the closer an hour after the start."""
    call = make_call(deal, start)
    with frozen_at(start + timedelta(hours=1)):
        return service.record_outcome(
            db.session, deal.closer, call.id, OutcomeData(result, **fields), now=clock.utcnow()
        )


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def pay(outcome: Outcome, admin, when: datetime) -> None:
    """The business paid the outcome's charge (manual mode: an admin records the bank transfer)."""
    charge = charge_queries.charge_of(db.session, outcome.id)
    assert charge is not None
    charges.mark_manual_paid(db.session, admin, charge.id, "bank transfer", when)


def entry(closer, bucket: Bucket, amount: int, kind: EntryKind, when: datetime) -> None:
    db.session.add(
        LedgerEntry(closer_id=closer.id, currency="EUR", bucket=bucket, amount=amount, kind=kind, created_at=when)
    )


@pytest.fixture
def world(app, make_user, admin_user):
    a = make_deal(make_user, owner=make_user("business", name="Alice Owner"), closer=make_user("closer", name="Ana A"))
    won1 = report(a, at(2026, 3, 17, 10), "won", deal_value=eur(100000), technique="summary")
    with frozen_at(at(2026, 3, 18, 12)):
        settlement.confirm(db.session, a.owner, won1.id, now=clock.utcnow())
    pay(won1, admin_user, at(2026, 3, 19, 12))
    report(a, at(2026, 3, 18, 10), "lost", lost_reason="price", technique="direct_ask")
    report(a, at(2026, 3, 22, 23, 30), "no_show")
    report(a, at(2026, 3, 25, 10), "lost", lost_reason="price", technique="summary")
    report(a, at(2026, 3, 29, 22, 30), "won", deal_value=eur(200000), technique="summary")  # earned Mon 01:30 CEST
    cancelled = make_call(a, at(2026, 4, 7, 10))
    cancelled.status, cancelled.cancelled_at = AppointmentStatus.CANCELLED, at(2026, 4, 1, 9)
    make_call(a, at(2026, 4, 9, 10))
    # Ledger moves of closer A beyond the two earned commissions, at chosen instants:
    entry(a.closer, Bucket.PENDING, 5000, EntryKind.ADJUSTMENT, at(2026, 3, 1, 9))  # before the period
    release = at(2026, 3, 22, 23, 15)  # Mon 23 Mar 00:15 in Paris
    entry(a.closer, Bucket.PENDING, -15000, EntryKind.RELEASED, release)
    entry(a.closer, Bucket.AVAILABLE, 15000, EntryKind.RELEASED, release)
    payout = at(2026, 4, 5, 22, 30)  # Mon 6 Apr 00:30 in Paris
    entry(a.closer, Bucket.AVAILABLE, -10000, EntryKind.PAID_OUT, payout)
    entry(a.closer, Bucket.PAID, 10000, EntryKind.PAID_OUT, payout)
    db.session.commit()

    b = make_deal(
        make_user, owner=make_user("business", name="Bob Owner"), closer=make_user("closer", name=EVIL_CLOSER)
    )
    b.offer.name = EVIL_OFFER
    db.session.commit()
    won_b = report(b, at(2026, 3, 24, 15), "won", deal_value=eur(1000000), technique="assumptive")
    with frozen_at(at(2026, 3, 26, 9)):
        settlement.confirm(db.session, b.owner, won_b.id, now=clock.utcnow())
    pay(won_b, admin_user, at(2026, 3, 27, 9))
    disputed = report(b, at(2026, 4, 1, 15), "won", deal_value=eur(80000))
    with frozen_at(at(2026, 4, 2, 9)):
        settlement.dispute(db.session, b.owner, disputed.id, EVIL_REASON, now=clock.utcnow())
    db.session.commit()
    with frozen_at(NOW):
        jobs.refresh_analytics(app)  # businesses' and admins' call counts are the worker's sums
    return a, b


def page(client, url: str = "/analytics?weeks=4") -> str:
    with frozen_at(NOW):
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def rows(client, slug: str, weeks: int = 4) -> list[list[str]]:
    with frozen_at(NOW):
        response = client.get(f"/analytics/{slug}.csv?weeks={weeks}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_closer_sees_exact_weekly_figures_bucketed_in_their_zone_across_the_dst_change(app, world) -> None:
    a, _b = world
    client = _logged_in(app, a.closer)
    weekly = rows(client, "weekly")
    assert weekly[0] == [
        "Week starting (Paris)",
        "Appointments",
        "Completed",
        "No-shows",
        "Cancelled",
        "Show rate (%)",
        "Calls held",
        "Won",
        "Close rate (%)",
    ]
    assert weekly[1:] == [
        ["2026-03-16", "2", "2", "0", "0", "100.0", "2", "1", "50.0"],
        ["2026-03-23", "2", "1", "1", "0", "50.0", "1", "0", "0.0"],
        ["2026-03-30", "1", "1", "0", "0", "100.0", "1", "1", "100.0"],
        ["2026-04-06", "1", "0", "0", "1", "", "0", "0", ""],
    ]
    assert rows(client, "summary")[1] == ["6", "4", "1", "1", "80.0", "4", "2", "50.0"]


def test_earnings_per_week_carry_the_balances_across_the_dst_change(app, world) -> None:
    a, _b = world
    earnings = rows(_logged_in(app, a.closer), "earnings")
    assert earnings[0][:3] == ["Currency", "Week starting (Paris)", "Earned in the week (net)"]
    assert earnings[1:] == [
        ["EUR", "2026-03-16", "150.00", "200.00", "0.00", "0.00"],
        ["EUR", "2026-03-23", "0.00", "50.00", "150.00", "0.00"],
        ["EUR", "2026-03-30", "300.00", "350.00", "150.00", "0.00"],
        ["EUR", "2026-04-06", "0.00", "350.00", "50.00", "100.00"],
    ]


def test_the_closer_page_shows_rates_money_charts_and_the_zone(app, world) -> None:
    a, _b = world
    html = page(_logged_in(app, a.closer))
    assert "your time zone, Paris;" in html
    assert 'data-testid="stat-show-rate">80.0%' in html and 'data-testid="stat-close-rate">50.0%' in html
    assert "€3,000.00" in html and "€450.00" in html  # revenue closed, commission
    assert "66.7%" in html  # summary technique: 2 won of 3 held
    assert html.count("<svg") >= 5 and '<title id="chart-earnings-EUR-title">' in html
    assert "€350.00" in html  # pending at the end of the last week, in the stacked chart and the table
    for slug in ("summary", "weekly", "earnings", "revenue", "lost_reasons", "techniques"):
        assert f'href="/analytics/{slug}.csv?weeks=4"' in html
    assert "per closer" not in html.lower() and EVIL_CLOSER not in html


def test_rates_without_data_show_a_dash_not_an_error(app, make_user) -> None:
    lonely = make_user("closer", name="New Closer")
    html = page(_logged_in(app, lonely))
    assert 'data-testid="stat-show-rate">—' in html and 'data-testid="stat-close-rate">—' in html
    assert "No appointments in this period." in html
    assert rows(_logged_in(app, lonely), "summary")[1] == ["0", "0", "0", "0", "", "0", "0", ""]


def test_the_lost_reasons_and_techniques_tables_count_every_held_call(app, world) -> None:
    a, _b = world
    client = _logged_in(app, a.closer)
    assert rows(client, "lost_reasons")[1:] == [["Price", "2", "100.0"]]
    assert rows(client, "techniques")[1:] == [["Summary", "3", "2", "66.7"], ["Direct ask", "1", "0", "0.0"]]


def test_a_business_sees_its_closers_offers_commissions_and_roi(app, world) -> None:
    a, _b = world
    client = _logged_in(app, a.owner)
    revenue = rows(client, "revenue")
    assert revenue[0] == [
        "Currency",
        "Deals won",
        "Revenue closed",
        "Commission",
        "Platform fees",
        "Commission + fees owed",
        "Commission + fees paid",
        "Revenue per unit paid (ROI)",
        "Cash collected",
        "Collection rate (%)",
    ]
    # 3,000 closed; paid 150 + 15 on the confirmed deal; owed 300 + 30 on the unconfirmed one; 3000 / 165 = 18.2
    # Nothing marked collected yet: cash collected 0 of 3,000.
    assert revenue[1:] == [["EUR", "2", "3000.00", "450.00", "45.00", "330.00", "165.00", "18.2", "0.00", "0.0"]]
    assert rows(client, "by_closer")[1:] == [["Ana A", "6", "4", "1", "1", "80.0", "4", "2", "50.0"]]
    assert rows(client, "by_offer")[1:] == [["Mindset Mastery", "6", "4", "1", "1", "80.0", "4", "2", "50.0"]]
    assert rows(client, "revenue_by_closer")[1] == [
        "Ana A",
        "EUR",
        "2",
        "3000.00",
        "450.00",
        "45.00",
        "330.00",
        "165.00",
        "18.2",
        "0.00",
        "0.0",
    ]
    html = page(client)
    assert "18.2×" in html and "€3,000.00" in html and "Per closer" in html and "Per offer" in html


def test_a_business_never_sees_another_business_rows_on_the_page_or_in_csv(app, world) -> None:
    a, b = world
    client = _logged_in(app, a.owner)
    html = page(client)
    assert "10,000.00" not in html and "HYPERLINK" not in html and EVIL_CLOSER not in html
    everything = "\n".join(
        ",".join(cell for row in rows(client, slug) for cell in row)
        for slug in ("summary", "weekly", "revenue", "by_closer", "by_offer", "revenue_by_closer", "revenue_by_offer")
    )
    assert "10000.00" not in everything and "HYPERLINK" not in everything and "SUM(1+1)" not in everything
    # B's owner sees only B: one closer, one offer, 10,000 + 800 won.
    other = _logged_in(app, b.owner)
    assert [r[0] for r in rows(other, "by_closer")[1:]] == ["'" + EVIL_CLOSER]
    assert rows(other, "revenue")[1][:3] == ["EUR", "2", "10800.00"]


def test_tables_of_another_role_answer_404(app, world) -> None:
    a, _b = world
    closer, owner = _logged_in(app, a.closer), _logged_in(app, a.owner)
    with frozen_at(NOW):
        assert closer.get("/analytics/by_closer.csv?weeks=4").status_code == 404
        assert closer.get("/analytics/disputes.csv?weeks=4").status_code == 404
        assert owner.get("/analytics/platform_fees.csv?weeks=4").status_code == 404
        assert owner.get("/analytics/earnings.csv?weeks=4").status_code == 404
        assert owner.get("/analytics/nope.csv").status_code == 404
        assert app.test_client().get("/analytics").status_code == 302  # anonymous: to the login page


def test_an_admin_sees_the_whole_platform_fees_disputes_and_top_closers(app, world, admin_user) -> None:
    client = _logged_in(app, admin_user)
    db.session.commit()
    with frozen_at(NOW):
        jobs.refresh_analytics(app)  # the admin's call counts are the worker's sums (analytics.aggregates)
    weekly = rows(client, "weekly")
    # The admin's zone is UTC: the two Sunday-night calls fall in the earlier weeks there, and
    # B's calls on 24 Mar and 1 Apr are included.
    assert weekly[0][0] == "Week starting (UTC)"
    assert [r[1] for r in weekly[1:]] == ["3", "3", "1", "1"]
    # Paid charges by the day they were paid: A's on 19 Mar (150 + 15), B's on 27 Mar (1,500 + 150).
    assert rows(client, "platform_fees")[1:] == [["EUR", "2", "1650.00", "165.00", "0.00"]]
    disputes = rows(client, "disputes")
    assert disputes[0][4] == "Disputed at (UTC)"
    assert disputes[1][1:4] == ["Business 4", "'" + EVIL_CLOSER, "800.00"]
    assert disputes[1][5] == "'" + EVIL_REASON
    assert [r[0] for r in rows(client, "top_closers")[1:]] == ["Ana A", "'" + EVIL_CLOSER]
    html = page(client)
    assert 'data-testid="stat-disputes">1' in html and "Platform fees by currency" in html


def test_csv_cells_that_look_like_formulas_are_quoted_but_numbers_stay_numbers(app, world) -> None:
    _a, b = world
    client = _logged_in(app, b.owner)
    [_header, offer] = rows(client, "revenue_by_offer")
    assert offer[0] == "'" + EVIL_OFFER and offer[1:4] == ["EUR", "2", "10800.00"]
    [_header, row] = rows(client, "by_offer")
    assert row[0] == "'" + EVIL_OFFER


def test_the_period_selector_changes_the_range_and_refuses_other_values(app, world) -> None:
    a, _b = world
    client = _logged_in(app, a.closer)
    assert len(rows(client, "weekly", weeks=12)) == 13 and len(rows(client, "weekly", weeks=26)) == 27
    html = page(client, "/analytics")  # default: 12 weeks
    assert '<option selected value="12">' in html
    with frozen_at(NOW):
        bad = client.get("/analytics?weeks=5")
        bad_csv = client.get("/analytics/weekly.csv?weeks=abc")
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    assert "<svg" not in bad.get_data(as_text=True)
    assert bad_csv.status_code == 422 and "Choose a period of 4, 12, 26 weeks." in bad_csv.get_data(as_text=True)


def test_each_role_gets_a_nav_link_and_a_dashboard_card(app, world, admin_user) -> None:
    a, _b = world
    for user in (a.closer, a.owner, admin_user):
        html = _logged_in(app, user).get("/dashboard").get_data(as_text=True)
        assert 'href="/analytics"' in html and 'data-testid="analytics-card"' in html


def test_the_figures_come_from_the_appointments_in_the_period_only(app, world) -> None:
    a, _b = world
    # Move one won call out of the period: the figures follow the database, not a cache.
    first = db.session.scalar(select(Appointment).order_by(Appointment.starts_at))
    assert first is not None
    first.starts_at, first.ends_at = at(2026, 3, 2, 10), at(2026, 3, 2, 10, 45)
    first.blocked_until = first.ends_at
    db.session.commit()
    assert rows(_logged_in(app, a.closer), "summary")[1] == ["5", "3", "1", "1", "75.0", "3", "1", "33.3"]


def test_a_french_speaking_closer_gets_french_number_formats(app, world) -> None:
    a, _b = world
    a.closer.language = "fr"
    db.session.commit()
    html = page(_logged_in(app, a.closer))
    assert 'data-testid="stat-show-rate">80,0\u00a0%' in html
    assert "3\u202f000,00\u00a0€" in html
