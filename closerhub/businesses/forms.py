"""Business forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class BusinessProfileForm(FlaskForm):
    name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=120)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=255)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    currency = StringField(
        _l("Currency"),
        validators=[DataRequired(), Length(min=3, max=3)],
        description=_l("ISO 4217 code, e.g. EUR, USD, GBP"),
    )
