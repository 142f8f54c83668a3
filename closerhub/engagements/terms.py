"""An engagement's terms: the commission rate (10–20 %, at least the closer's minimum) and its basis."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS, CloserProfile
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, reading_language
from closerhub.engagements.models import CommissionBasis


def percent_label(bps: int, language: str | None = None) -> str:
    """1250 → ``"12.5 %"`` in messages; ``"12,5 %"`` for a French reader (Babel's format, as the pages use).

    ``language`` defaults to the reader's; stored text passes ``"en"``.
    """
    language = language or reading_language()
    if language != "en":
        return format_percent(Decimal(bps) / 10000, locale=language, decimal_quantization=False)
    whole, rest = divmod(bps, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


def fail(field: str, message: str) -> ValidationError:
    """A ValidationError on one field, the field's message as the whole message."""
    return ValidationError(message, field_errors={field: message})


def clean_rate(bps: int | None) -> int:
    """A commission rate in basis points, 1000–2000 (10–20 %); None (unreadable) is out of range."""
    if bps is None or not RATE_MIN_BPS <= bps <= RATE_MAX_BPS:
        raise fail(
            "commission_rate_bps",
            _(
                "The commission must be between %(low)s and %(high)s (%(low_bps)d–%(high_bps)d bps).",
                low=percent_label(RATE_MIN_BPS),
                high=percent_label(RATE_MAX_BPS),
                low_bps=RATE_MIN_BPS,
                high_bps=RATE_MAX_BPS,
            ),
        )
    return bps


def clean_basis(raw: str | None) -> CommissionBasis:
    """``contract_value`` (the default, also for None or blank) or ``cash_collected``."""
    if not raw:
        return CommissionBasis.CONTRACT_VALUE
    try:
        return CommissionBasis(raw)
    except ValueError:
        raise fail("commission_basis", _("The commission basis is contract_value or cash_collected.")) from None


def closer_min_rate(session: Session, closer: User) -> int:
    """The lowest rate ``closer`` accepts (their profile's; the platform's floor without one)."""
    minimum = session.scalar(select(CloserProfile.min_rate_bps).where(CloserProfile.user_id == closer.id))
    return minimum if minimum is not None else RATE_MIN_BPS
