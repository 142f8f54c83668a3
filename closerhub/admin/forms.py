"""Admin forms. Fields check shape; the services enforce the rules (and say why)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from closerhub.platform_settings.service import SPECS


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


def settings_form_class() -> type[FlaskForm]:
    """A form with one whole-number field per platform setting (bounds from ``SPECS``)."""

    class SettingsForm(FlaskForm):
        pass

    for spec in SPECS.values():
        setattr(
            SettingsForm,
            spec.key,
            IntegerField(
                _l(spec.label),  # marked with N_ in platform_settings.service (and listed in i18n_runtime_strings)
                validators=[InputRequired(), NumberRange(min=spec.minimum, max=spec.maximum)],
                description=_l(spec.help),
            ),
        )
    return SettingsForm
