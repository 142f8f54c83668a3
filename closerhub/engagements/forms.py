"""Engagement forms: propose (offer + rate in percent), decline (reason), end (optional reason), new rate."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.engagements.commands import Proposal, RateChange
from closerhub.engagements.models import CommissionBasis
from closerhub.engagements.terms import clean_basis


def percent_to_bps(text: str | None, field: str = "commission_rate_bps") -> int:
    """``"15"`` → 1500, ``"12.5"`` (or ``"12,5"``, ``"12.5 %"``) → 1250; at most two decimals."""
    raw = (text or "").strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(raw) if raw else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    bps = value * 100 if value.is_finite() else None
    if bps is None or bps != bps.to_integral_value() or abs(bps) > 10**6:
        message = _("Enter the commission as a percentage between 10 and 20, e.g. 15 or 12.5.")
        raise ValidationError(message, field_errors={field: message})
    return int(bps)


def bps_to_percent(bps: int) -> str:
    """1250 → ``"12.5"``; 1500 → ``"15"`` (the form's input format)."""
    return str(bps // 100) if bps % 100 == 0 else f"{Decimal(bps) / 100:f}".rstrip("0").rstrip(".")


BASIS_CHOICES = [
    SelectChoice("contract_value", _l("On contract value: once, on the whole deal value at confirmation")),
    SelectChoice("cash_collected", _l("On cash collected: as each instalment of the deal is collected")),
]


class ProposeForm(FlaskForm):
    offer_id = SelectField(_l("Offer"), coerce=int, validate_choice=False)
    rate_percent = StringField(
        _l("Commission (%)"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("Between 10 and 20, e.g. 15 or 12.5; never below the closer's minimum"),
    )
    commission_basis = RadioField(_l("Commission paid"), choices=BASIS_CHOICES, default="contract_value")

    def proposal(self, closer_id: int, rate_bps: int | None) -> Proposal:
        """The command (the choice field has checked the basis; no offer has id 0, for a post without one)."""
        return Proposal(
            closer_id=closer_id,
            offer_id=self.offer_id.data or 0,
            commission_rate_bps=rate_bps,
            commission_basis=CommissionBasis(self.commission_basis.data),
        )


class RateForm(FlaskForm):
    rate_percent = StringField(
        _l("New commission (%)"), validators=[DataRequired(), Length(max=10)], description=_l("e.g. 15 or 12.5")
    )
    commission_basis = RadioField(_l("Commission paid"), choices=BASIS_CHOICES, validate_choice=False)

    def rate_change(self, rate_bps: int | None) -> RateChange:
        """The command; no basis keeps the current one, an unknown one is a ValidationError."""
        raw = self.commission_basis.data
        return RateChange(commission_rate_bps=rate_bps, commission_basis=clean_basis(raw) if raw else None)


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you decline?"),
        validators=[DataRequired(_l("Say why you decline: the business reads it.")), Length(max=1000)],
    )


class EndForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=1000)])
