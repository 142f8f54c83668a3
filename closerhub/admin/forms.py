"""Admin forms. Fields check shape; the services enforce the rules (and say why)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, Field, HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from closerhub.platform_settings.service import SPECS
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST


class ReasonForm(FlaskForm):
    """Suspend or reactivate: a mandatory reason, and ``confirm=yes`` from the confirmation page."""

    reason = TextAreaField(_l("Reason (kept in the audit trail)"), validators=[DataRequired(), Length(max=1000)])
    confirm = HiddenField(default="yes")


class VettingForm(FlaskForm):
    """An admin's review of a closer: the checklist, notes, a reason and the decision (the button pressed)."""

    stripe_onboarded = BooleanField(_l("Identity and Stripe onboarding done"))
    languages_checked = BooleanField(_l("Languages plausible (checked on the intro call)"))
    intro_call_held = BooleanField(_l("Short intro call held"))
    reason = TextAreaField(
        _l("Reason (the closer reads it; required to ask for changes or reject)"),
        validators=[Optional(), Length(max=2000)],
    )
    notes = TextAreaField(_l("Internal notes (admins only)"), validators=[Optional(), Length(max=4000)])

    def decision(self, pressed: str) -> VettingDecision:
        """The command for the button ``pressed`` (its ``decision`` value), with the ticked items."""
        return VettingDecision(
            decision=pressed,
            reason=self.reason.data or "",
            notes=self.notes.data or "",
            ticked=frozenset(item for item in CHECKLIST if getattr(self, item).data),
        )


# Settings stored in basis points or minor units are typed as people say them: a percentage, an amount.
SHOWN_SCALE = {"platform_fee_bps": 100, "payout_minimum": 100}


def shown_value(key: str, stored: int) -> int | Decimal:
    """The stored value as the form shows it (1000 bps → 10; 5000 → 50.00)."""
    scale = SHOWN_SCALE.get(key)
    return (Decimal(stored) / scale).quantize(Decimal("0.01")) if scale else stored


def stored_value(key: str, shown: Any) -> int:
    """What the form received, in the stored unit (the form has checked it converts exactly)."""
    scale = SHOWN_SCALE.get(key)
    return int(Decimal(shown) * scale) if scale else int(shown)


def _two_decimals(_form: FlaskForm, field: Field) -> None:
    if field.data is not None and (Decimal(field.data) * 100) % 1:
        raise ValidationError(_l("At most two decimals."))


def settings_form_class() -> type[FlaskForm]:
    """A form with one field per platform setting (bounds from ``SPECS``, shown in the field's unit)."""

    class SettingsForm(FlaskForm):
        pass

    for spec in SPECS.values():
        scale = SHOWN_SCALE.get(spec.key)
        label, help_text = _l(spec.label), _l(spec.help)  # marked with N_ in platform_settings.service
        field: Field
        if scale:
            low, high = shown_value(spec.key, spec.minimum), shown_value(spec.key, spec.maximum)
            field = DecimalField(
                label,
                validators=[InputRequired(), NumberRange(min=low, max=high), _two_decimals],
                description=help_text,
            )
        else:
            field = IntegerField(
                label,
                validators=[InputRequired(), NumberRange(min=spec.minimum, max=spec.maximum)],
                description=help_text,
            )
        setattr(SettingsForm, spec.key, field)
    return SettingsForm
