"""Commission arithmetic: the one place a won deal's value becomes money owed.

A closer earns ``deal value × rate`` (the engagement's rate, 1000–2000 bps = 10–20 %); the
platform charges the business a fee of ``PLATFORM_FEE_BPS`` of that commission *on top*;
the business pays ``commission + fee``. Each amount is rounded exactly once, half-up (ties
away from zero) to the currency's minor unit, with integer arithmetic only (no floats, no
Decimal contexts): amounts are already integers in minor units, so the currency's exponent
(0 for JPY, 2 for EUR, 3 for BHD) needs no special case. The fee is a share of the rounded
commission, so the three figures the business sees always add up.

Pure: no Flask, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import MAX_MINOR_UNITS, Money

BPS_DENOMINATOR = 10_000  # 1 bp = 1/10,000
RATE_MIN_BPS = 1000  # 10 %
RATE_MAX_BPS = 2000  # 20 %
FEE_MAX_BPS = 5000  # a platform fee above half the commission is a misconfiguration


def share_half_up(amount: int, bps: int) -> int:
    """``amount × bps / 10,000`` rounded half-up (ties away from zero), in integers.

    Negative amounts round symmetrically (−12.5 → −13), so a reversal is the exact negation
    of the entry it reverses.
    """
    if bps < 0:
        raise ValueError("bps must be non-negative")
    magnitude = (abs(amount) * bps * 2 + BPS_DENOMINATOR) // (2 * BPS_DENOMINATOR)
    return magnitude if amount >= 0 else -magnitude


def check_rate(rate_bps: int, *, field: str = "commission_rate_bps") -> int:
    """A commission rate must be an integer from 1000 to 2000 bps (10–20 %)."""
    if isinstance(rate_bps, bool) or not isinstance(rate_bps, int) or not RATE_MIN_BPS <= rate_bps <= RATE_MAX_BPS:
        raise ValidationError(
            _(
                "A commission rate must be between %(low)d %% and %(high)d %% (%(low_bps)d–%(high_bps)d basis points).",
                low=RATE_MIN_BPS // 100,
                high=RATE_MAX_BPS // 100,
                low_bps=RATE_MIN_BPS,
                high_bps=RATE_MAX_BPS,
            ),
            field_errors={field: _("Between 1000 and 2000 basis points.")},
        )
    return rate_bps


def check_fee(fee_bps: int, *, field: str = "platform_fee_bps") -> int:
    """The platform fee, in bps of the commission: an integer from 0 to 5000."""
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int) or not 0 <= fee_bps <= FEE_MAX_BPS:
        raise ValidationError(
            _(
                "The platform fee must be between %(low)d %% and %(high)d %% of the commission"
                " (%(low_bps)d–%(high_bps)d basis points).",
                low=0,
                high=FEE_MAX_BPS // 100,
                low_bps=0,
                high_bps=FEE_MAX_BPS,
            ),
            field_errors={field: _("Between 0 and 5000 basis points.")},
        )
    return fee_bps


@dataclass(frozen=True)
class Commission:
    """What a won deal is worth to each party, all in the deal's currency."""

    deal_value: Money
    rate_bps: int
    fee_bps: int
    commission: Money  # owed to the closer
    platform_fee: Money  # charged to the business on top, kept by the platform

    @property
    def business_total(self) -> Money:
        """What the business is charged: the commission plus the platform fee."""
        return self.commission + self.platform_fee


def compute(deal_value: Money, rate_bps: int, fee_bps: int) -> Commission:
    """The commission on ``deal_value`` at ``rate_bps`` and the platform fee on it at ``fee_bps``.

    ``deal_value`` must be positive (a won deal is worth something) and at most the largest
    amount the platform accepts; the rate 1000–2000 bps; the fee 0–5000 bps.
    """
    if not deal_value.is_positive():
        raise ValidationError(
            _("A won deal's value must be more than zero."), field_errors={"deal_value": _("Above zero.")}
        )
    if deal_value.amount > MAX_MINOR_UNITS:
        raise ValidationError(_("That deal value is too large."), field_errors={"deal_value": _("Too large.")})
    check_rate(rate_bps)
    check_fee(fee_bps)
    commission = share_half_up(deal_value.amount, rate_bps)
    fee = share_half_up(commission, fee_bps)
    return Commission(
        deal_value=deal_value,
        rate_bps=rate_bps,
        fee_bps=fee_bps,
        commission=Money(commission, deal_value.currency),
        platform_fee=Money(fee, deal_value.currency),
    )


@dataclass(frozen=True)
class Accrual:
    """What one collection (or refund) of cash adds to a deal's commission and fee, in minor units.

    ``commission`` and ``platform_fee`` are signed deltas (negative for a refund);
    ``commission_total`` and ``fee_total`` are the running totals after this event.
    """

    commission: int
    platform_fee: int
    commission_total: int
    fee_total: int

    @property
    def business_total(self) -> int:
        """What this event adds to the business's bill (negative: owed back)."""
        return self.commission + self.platform_fee


def accrue(collected_total: int, *, rate_bps: int, fee_bps: int, commission_accrued: int, fee_accrued: int) -> Accrual:
    """The commission and fee a deal accrues once ``collected_total`` (net of refunds) has come in.

    Running-total rounding: ``accrued = half_up(collected_total × rate) − already accrued``, and the
    fee the same way on the rounded commission total (``half_up(commission_total × fee)``), so the
    parts always sum to the commission (and fee) on the whole with no drift, whatever the order and
    size of the collections and refunds. A refund is the same call with a lower ``collected_total``:
    the deltas come out negative. ``collected_total`` may not be negative (more refunded than collected).
    """
    if collected_total < 0:
        raise ValueError("the net collected total cannot be negative")
    commission_total = share_half_up(collected_total, rate_bps)
    fee_total = share_half_up(commission_total, fee_bps)
    return Accrual(
        commission=commission_total - commission_accrued,
        platform_fee=fee_total - fee_accrued,
        commission_total=commission_total,
        fee_total=fee_total,
    )


def check_plan(deal_value: Money, amounts: list[Money]) -> list[Money]:
    """A payment plan's amounts: each positive, in the deal's currency, summing to the deal value."""
    if not amounts:
        raise ValidationError(
            _("A payment plan needs at least one instalment."), field_errors={"payment_plan": _("Add an instalment.")}
        )
    for index, amount in enumerate(amounts):
        field = f"payment_plan.instalments.{index}.amount"
        if amount.currency != deal_value.currency:
            raise ValidationError(
                _("Every instalment is in the deal's currency, %(currency)s.", currency=deal_value.currency),
                field_errors={field: _("Use %(currency)s.", currency=deal_value.currency)},
            )
        if not amount.is_positive():
            raise ValidationError(_("Every instalment must be more than zero."), field_errors={field: _("Above zero.")})
    if sum(a.amount for a in amounts) != deal_value.amount:
        raise ValidationError(
            _("The instalments must add up to the deal value."),
            field_errors={"payment_plan": _("The instalments must add up to the deal value.")},
        )
    return amounts
