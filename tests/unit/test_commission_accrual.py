"""core.commission.accrue: commission on cash collected, by running total, over collections and refunds.

After every event (a collection, or a partial or full refund) the accruals so far must sum
exactly to the Decimal half-up commission (and fee) on the net collected total, each delta must
have the event's sign, and the running total must never be below zero. The property is checked
in 3 currencies (JPY 0 decimals, EUR 2, KWD 3) over:

- edge sequences at the edge rates (10 %, 15 %, 20 %) and fees (0, 0.01 %, 50 %): collections
  whose commission or fee is exactly half a minor unit (the ties), cent by cent, the largest
  amounts, refunds to zero, refunds of more than was collected or of nothing;
- 10^5 events of random sequences (a fixed seed per currency: 2,000 sequences of up to 50 events,
  any rate from 10 % to 20 % and fee from 0 to 50 %, amounts small, tied or up to 10^9), drawn with
  ``random`` (the same events through Hypothesis cost six times the CPU);
- a Hypothesis property (``max_examples`` 100 per currency), whose shrinking turns a failure into
  a minimal sequence.
"""

from __future__ import annotations

import functools
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closerhub.core.commission import accrue, check_plan
from closerhub.core.errors import ValidationError
from closerhub.core.money import Money, currency_exponent

CURRENCIES = ["JPY", "EUR", "KWD"]
MAX_AMOUNT = 10**9


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
Event = tuple[bool, int]


def check_sequence(currency: str, events: list[Event], rate_bps: int, fee_bps: int) -> None:
    """The property, event by event."""
    collected = commission_sum = fee_sum = 0
    for is_collection, amount in events:
        collected += amount if is_collection else -min(amount, collected)
        accrual = accrue(
            collected, rate_bps=rate_bps, fee_bps=fee_bps, commission_accrued=commission_sum, fee_accrued=fee_sum
        )
        commission_sum += accrual.commission
        fee_sum += accrual.platform_fee
        context = (currency, rate_bps, fee_bps, events)
        assert (commission_sum, fee_sum) == oracle(collected, currency, rate_bps, fee_bps), context
        assert (accrual.commission_total, accrual.fee_total) == (commission_sum, fee_sum), context
        assert commission_sum >= 0 and fee_sum >= 0, context
        if is_collection:
            assert accrual.commission >= 0 and accrual.platform_fee >= 0, context
        else:
            assert accrual.commission <= 0 and accrual.platform_fee <= 0, context


@functools.cache
def ties(bps: int, count: int = 3) -> list[int]:
    """The smallest amounts whose share at ``bps`` is exactly half a minor unit, and the largest one
    (none at 20 %: a fifth of an integer is never a half)."""
    found = [a for a in range(1, 20_001) if a * bps % 10_000 == 5_000][:count]
    largest = next((a for a in range(MAX_AMOUNT, MAX_AMOUNT - 20_000, -1) if a * bps % 10_000 == 5_000), None)
    return found + ([largest] if largest else [])


EDGE_RATES = [1000, 1500, 2000]
EDGE_FEES = [0, 1, 5000]


def edge_sequences(rate_bps: int, fee_bps: int) -> list[list[Event]]:
    tied = ties(rate_bps) or [5, 7, MAX_AMOUNT - 3]
    # a commission whose fee is a tie: the collection whose commission is that many minor units
    fee_tied = [c * 10_000 // rate_bps for c in ties(fee_bps) if c * 10_000 % rate_bps == 0] if fee_bps else []
    return [
        *([(True, a)] for a in tied + fee_tied),
        [(True, a) for a in tied],  # ties in a row: the running total crosses them
        [(True, 1)] * 50,  # cent by cent: each part rounds to nothing or one, the total stays exact
        [(True, MAX_AMOUNT)] * 50,
        [(True, tied[0]), (False, tied[0])],  # a full refund back to zero
        [(True, tied[0]), (False, tied[0] + 1)],  # more refunded than collected: the rest is not taken
        [(False, 1), (True, 3), (False, 1), (False, 5)],  # a refund of nothing; refunds to zero
        [(True, a) if i % 2 == 0 else (False, a) for i, a in enumerate(tied * 2)],
        [(True, MAX_AMOUNT), (False, MAX_AMOUNT - 1), (True, tied[-1]), (False, 1)],
    ]


@pytest.mark.parametrize("currency", CURRENCIES)
def test_accruals_are_exact_on_the_edge_sequences(currency: str) -> None:
    for rate_bps in EDGE_RATES:
        for fee_bps in EDGE_FEES:
            for events in edge_sequences(rate_bps, fee_bps):
                check_sequence(currency, events, rate_bps, fee_bps)


def _random_amount(draw: random.Random, rate_bps: int) -> int:
    kind = draw.random()
    if kind < 0.3:
        return draw.randint(1, 100)
    if kind < 0.4:
        return draw.choice(ties(rate_bps, count=1) or [1])
    if kind < 0.45:
        return MAX_AMOUNT
    return draw.randint(1, MAX_AMOUNT)


@pytest.mark.parametrize("currency", CURRENCIES)
def test_accruals_sum_to_the_half_up_commission_over_random_sequences(currency: str) -> None:
    draw = random.Random(f"accrual {currency}")  # a fixed seed: the same events every run
    events_checked = 0
    for _ in range(2_000):
        rate_bps, fee_bps = draw.randint(1000, 2000), draw.randint(0, 5000)
        events = [(draw.random() < 0.6, _random_amount(draw, rate_bps)) for _ in range(draw.randint(1, 50))]
        check_sequence(currency, events, rate_bps, fee_bps)
        events_checked += len(events)
    assert events_checked > 10**5 // 3


EVENTS = st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=MAX_AMOUNT)), min_size=1, max_size=50)


@pytest.mark.parametrize("currency", CURRENCIES)
@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    events=EVENTS,
    rate_bps=st.integers(min_value=1000, max_value=2000),
    fee_bps=st.integers(min_value=0, max_value=5000),
)
def test_accruals_sum_to_the_half_up_commission_on_the_net_collected_total(currency, events, rate_bps, fee_bps):
    check_sequence(currency, events, rate_bps, fee_bps)


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
