"""core.commission.accrue: commission on cash collected, by running total, over random collections and refunds.

The property covers 10^5 events: 3 currencies (JPY 0 decimals, EUR 2, KWD 3) × 2,000 random
sequences each × up to 50 events per sequence (collections and partial or full refunds, at any
rate from 10 % to 20 % and any platform fee from 0 to 50 %). After every event the accruals so
far must sum exactly to the Decimal half-up commission (and fee) on the net collected total, and
the running total must never be below zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closerhub.core.commission import accrue, check_plan
from closerhub.core.errors import ValidationError
from closerhub.core.money import Money, currency_exponent


def oracle(net_collected: int, currency: str, rate_bps: int, fee_bps: int) -> tuple[int, int]:
    """The commission and fee on ``net_collected`` the slow, obvious way: Decimal in major units, half-up."""
    quantum = Decimal(1).scaleb(-currency_exponent(currency))
    major = Money(net_collected, currency).to_decimal()
    commission = (major * Decimal(rate_bps) / Decimal(10_000)).quantize(quantum, rounding=ROUND_HALF_UP)
    fee = (commission * Decimal(fee_bps) / Decimal(10_000)).quantize(quantum, rounding=ROUND_HALF_UP)
    return (
        Money.from_decimal(commission, currency).amount,
        Money.from_decimal(fee, currency).amount,
    )


# An event: a collection of ``amount`` (True, amount) or a refund of up to ``amount`` (False, amount).
EVENTS = st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=10**9)), min_size=1, max_size=50)


@pytest.mark.parametrize("currency", ["JPY", "EUR", "KWD"])
@settings(max_examples=2_000, deadline=None, derandomize=True)
@given(
    events=EVENTS,
    rate_bps=st.integers(min_value=1000, max_value=2000),
    fee_bps=st.integers(min_value=0, max_value=5000),
)
def test_accruals_sum_to_the_half_up_commission_on_the_net_collected_total(currency, events, rate_bps, fee_bps):
    collected = commission_sum = fee_sum = 0
    for is_collection, amount in events:
        collected += amount if is_collection else -min(amount, collected)
        accrual = accrue(
            collected, rate_bps=rate_bps, fee_bps=fee_bps, commission_accrued=commission_sum, fee_accrued=fee_sum
        )
        commission_sum += accrual.commission
        fee_sum += accrual.platform_fee
        assert (commission_sum, fee_sum) == oracle(collected, currency, rate_bps, fee_bps)
        assert (accrual.commission_total, accrual.fee_total) == (commission_sum, fee_sum)
        assert commission_sum >= 0 and fee_sum >= 0
        if is_collection:
            assert accrual.commission >= 0 and accrual.platform_fee >= 0
        else:
            assert accrual.commission <= 0 and accrual.platform_fee <= 0


def test_three_instalments_of_333_35_at_15_percent_accrue_50_00_then_50_01_then_50_00():
    """The README's worked example: 3 × €333.35 at 15 % (fee 10 %).

    Rounding each part alone gives 3 × €50.00 = €150.00, a cent short of 15 % of €1,000.05
    (€150.0075 → €150.01); the running total gives €50.00, €50.01, €50.00.
    """
    steps = []
    commission = fee = 0
    for collected in (33_335, 66_670, 100_005):
        accrual = accrue(collected, rate_bps=1500, fee_bps=1000, commission_accrued=commission, fee_accrued=fee)
        commission, fee = accrual.commission_total, accrual.fee_total
        steps.append((accrual.commission, accrual.platform_fee))
    assert steps == [(5_000, 500), (5_001, 500), (5_000, 500)]
    assert (commission, fee) == (15_001, 1_500)
    # A refund of the last instalment takes back exactly what the running total says.
    refund = accrue(66_670, rate_bps=1500, fee_bps=1000, commission_accrued=commission, fee_accrued=fee)
    assert (refund.commission, refund.platform_fee) == (-5_000, -500)


def test_a_negative_net_collected_total_is_refused():
    with pytest.raises(ValueError):
        accrue(-1, rate_bps=1500, fee_bps=1000, commission_accrued=0, fee_accrued=0)


def test_a_plan_must_sum_to_the_deal_value_in_its_currency():
    deal = Money(100_000, "EUR")
    assert check_plan(deal, [Money(50_000, "EUR"), Money(50_000, "EUR")])
    for plan in ([], [Money(50_000, "EUR")], [Money(100_000, "USD")], [Money(100_001, "EUR"), Money(-1, "EUR")]):
        with pytest.raises(ValidationError):
            check_plan(deal, plan)
