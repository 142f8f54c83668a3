"""Checking what a closer reports (``commands.OutcomeData``): one ValidationError naming every bad field."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from closerhub.businesses.service import clean_text
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import Money
from closerhub.outcomes.commands import OutcomeData
from closerhub.outcomes.models import LostReason, OutcomeResult, Technique

TEXT_MAX = 5000
ITEM_MAX = 200
LIST_MAX = 20

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True)
class CleanOutcome:
    result: OutcomeResult
    deal_value: Money | None
    currency_reason: str | None
    lost_reason: LostReason | None
    lost_reason_text: str
    objections: list[str]
    technique: Technique | None
    buying_signals: list[str]
    next_step: str
    next_step_at: datetime | None
    notes: str


def _choice(cls: type[E], raw: E | str | None, name: str, errors: dict[str, str], required: bool = False) -> E | None:
    if raw is None or raw == "":
        if required:
            errors[name] = _("Choose one.")
        return None
    try:
        return cls(raw)
    except ValueError:
        errors[name] = _("Choose one of: %(choices)s.", choices=", ".join(m.value for m in cls))
        return None


def _items(raw: tuple[str, ...], name: str, errors: dict[str, str]) -> list[str]:
    if len(raw) > LIST_MAX:
        errors[name] = _("Give a list of at most %(limit)d short items.", limit=LIST_MAX)
        return []
    items: list[str] = []
    for item in raw:
        try:
            text = clean_text(item, name, ITEM_MAX)
        except ValidationError:
            errors[name] = _("Each item is text of at most %(limit)d characters.", limit=ITEM_MAX)
            return []
        if text and text not in items:
            items.append(text)
    return items


def _text(raw: str, name: str, errors: dict[str, str], max_len: int = TEXT_MAX) -> str:
    try:
        return clean_text(raw, name, max_len, multiline=True)
    except ValidationError as exc:
        errors.update(exc.field_errors)
        return ""


def clean_outcome(data: OutcomeData, *, offer_currency: str, now: datetime) -> CleanOutcome:
    """Check a report against the rules; the deal value's currency defaults to the offer's.

    A won deal needs a value above zero; a currency other than the offer's needs a reason.
    A lost call needs its reason; a follow-up its next step and a future date. Fields that
    do not belong to the result (a value on a lost call) are dropped.
    """
    errors: dict[str, str] = {}
    result = _choice(OutcomeResult, data.result, "result", errors, required=True)
    technique = _choice(Technique, data.technique, "technique", errors)
    objections = _items(data.objections, "objections", errors)
    signals = _items(data.buying_signals, "buying_signals", errors)
    notes = _text(data.notes, "notes", errors)
    deal_value: Money | None = None
    currency_reason: str | None = None
    lost_reason: LostReason | None = None
    lost_text = ""
    next_step = ""
    next_step_at: datetime | None = None
    if result == OutcomeResult.WON:
        deal_value = data.deal_value
        if deal_value is None:
            errors["deal_value"] = _("Enter the deal value.")
        elif not deal_value.is_positive():
            errors["deal_value"] = _("A won deal's value must be more than zero.")
        elif deal_value.currency != offer_currency:
            currency_reason = _text(data.currency_reason, "currency_reason", errors, 1000) or None
            if currency_reason is None and "currency_reason" not in errors:
                errors["currency_reason"] = _(
                    "The offer is sold in %(offer_currency)s; say why this deal is in %(currency)s.",
                    offer_currency=offer_currency,
                    currency=deal_value.currency,
                )
    elif result == OutcomeResult.LOST:
        lost_reason = _choice(LostReason, data.lost_reason, "lost_reason", errors, required=True)
        lost_text = _text(data.lost_reason_text, "lost_reason_text", errors, 1000)
    elif result == OutcomeResult.NOT_A_FIT:  # why the closer declined to sell: the business reads it
        lost_text = _text(data.lost_reason_text, "lost_reason_text", errors, 1000)
    elif result == OutcomeResult.FOLLOW_UP:
        next_step = _text(data.next_step, "next_step", errors, 1000)
        if not next_step and "next_step" not in errors:
            errors["next_step"] = _("Say what you agreed with the prospect.")
        next_step_at = data.next_step_at
        if next_step_at is None:
            errors["next_step_at"] = _("Give the date of the next step.")
        elif next_step_at.tzinfo is None or next_step_at <= now:
            errors["next_step_at"] = _("The next step must be in the future.")
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    assert result is not None
    return CleanOutcome(
        result=result,
        deal_value=deal_value,
        currency_reason=currency_reason,
        lost_reason=lost_reason,
        lost_reason_text=lost_text,
        objections=objections,
        technique=technique,
        buying_signals=signals,
        next_step=next_step,
        next_step_at=next_step_at,
        notes=notes,
    )
