"""core.commission: rates at the edges, tiny and huge values, zero- and three-decimal currencies, ties."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closerhub.core.commission import compute, share_half_up
from closerhub.core.errors import ValidationError
from closerhub.core.money import MAX_MINOR_UNITS, Money


def reference(amount: int, bps: int) -> int:
    """The same share computed the slow, obvious way with Decimal (half-up, ties away from zero)."""
    return int((Decimal(amount) * bps / Decimal(10_000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("deal", "rate", "fee", "commission", "platform_fee"),
    [
        (Money(100_000, "EUR"), 1000, 1000, 10_000, 1_000),  # €1,000 at 10 %: €100 + €10 fee
        (Money(100_000, "EUR"), 2000, 1000, 20_000, 2_000),  # at 20 %
        (Money(123_456, "EUR"), 1500, 1000, 18_518, 1_852),  # 18,518.4 → 18,518; 1,851.8 → 1,852
        (Money(1, "EUR"), 1000, 1000, 0, 0),  # one cent at 10 % is 0.1 cent: rounds to nothing
        (Money(5, "EUR"), 1000, 1000, 1, 0),  # 0.5 cent: the tie goes up
        (Money(5, "EUR"), 2000, 1000, 1, 0),  # 1 cent exactly
        (Money(15, "USD"), 1000, 1000, 2, 0),  # 1.5 → 2
        (Money(25, "USD"), 1000, 5000, 3, 2),  # 2.5 → 3, fee 1.5 → 2
        (Money(1_000_000, "JPY"), 1500, 1000, 150_000, 15_000),  # ¥1,000,000 has no decimals
        (Money(333, "JPY"), 1500, 1000, 50, 5),  # ¥49.95 → ¥50
        (Money(1_234_567, "BHD"), 1250, 1000, 154_321, 15_432),  # 3 decimals: 154.3208… BHD → 154.321
        (Money(MAX_MINOR_UNITS, "EUR"), 2000, 1000, MAX_MINOR_UNITS // 5, MAX_MINOR_UNITS // 50),
    ],
)
def test_commission_and_fee_are_rounded_half_up_once(deal, rate, fee, commission, platform_fee):
    result = compute(deal, rate, fee)
    assert result.commission == Money(commission, deal.currency)
    assert result.platform_fee == Money(platform_fee, deal.currency)
    assert result.business_total == Money(commission + platform_fee, deal.currency)


@pytest.mark.parametrize("rate", [999, 2001, 0, -1500, 1500.0, True, "1500"])
def test_rates_outside_ten_to_twenty_percent_are_refused(rate):
    with pytest.raises(ValidationError) as exc:
        compute(Money(100_000, "EUR"), rate, 1000)  # type: ignore[arg-type]
    assert "commission_rate_bps" in exc.value.field_errors


@pytest.mark.parametrize("rate", [1000, 2000])
def test_the_edge_rates_are_accepted(rate):
    assert compute(Money(10_000, "EUR"), rate, 0).commission.amount == rate


@pytest.mark.parametrize("fee", [-1, 5001, 2.5])
def test_a_platform_fee_outside_0_to_50_percent_is_refused(fee):
    with pytest.raises(ValidationError) as exc:
        compute(Money(100_000, "EUR"), 1500, fee)  # type: ignore[arg-type]
    assert "platform_fee_bps" in exc.value.field_errors


@pytest.mark.parametrize("amount", [0, -100, MAX_MINOR_UNITS + 1])
def test_deal_values_that_are_not_positive_or_too_large_are_refused(amount):
    with pytest.raises(ValidationError) as exc:
        compute(Money(amount, "EUR"), 1500, 1000)
    assert "deal_value" in exc.value.field_errors


def test_a_zero_fee_charges_the_business_the_commission_only():
    result = compute(Money(99_999, "GBP"), 1750, 0)
    assert result.platform_fee == Money(0, "GBP")
    assert result.business_total == result.commission


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [(5, 1000, 1), (4, 1000, 0), (15, 1000, 2), (-5, 1000, -1), (-15, 1000, -2), (-4, 1000, 0), (1, 5000, 1)],
)
def test_ties_round_away_from_zero_and_negatives_mirror_positives(amount, bps, expected):
    assert share_half_up(amount, bps) == expected


@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(min_value=0, max_value=10_000))
def test_share_matches_decimal_half_up_for_any_amount_and_rate(amount, bps):
    assert share_half_up(amount, bps) == reference(amount, bps)


@given(st.integers(min_value=1, max_value=MAX_MINOR_UNITS), st.integers(min_value=1000, max_value=2000))
def test_commission_is_between_10_and_20_percent_within_half_a_minor_unit(amount, rate):
    result = compute(Money(amount, "EUR"), rate, 1000)
    exact = Decimal(amount) * rate / 10_000
    assert abs(Decimal(result.commission.amount) - exact) <= Decimal("0.5")
    assert 0 <= result.platform_fee.amount <= result.commission.amount


@given(st.integers(min_value=1, max_value=MAX_MINOR_UNITS), st.integers(min_value=1000, max_value=2000))
def test_a_reversal_of_a_commission_is_its_exact_negation(amount, rate):
    assert share_half_up(-amount, rate) == -share_half_up(amount, rate)
