"""Instalment forms: the business's collection date and refund amount, the closer's miss dispute, the admin's call.

Fields check shape only; ``outcomes.instalments`` enforces the rules, so the page and the API answer alike.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length


class CollectForm(FlaskForm):
    collected_on = DateField(_l("Collected on"), validators=[InputRequired(_l("Give the date the money arrived."))])


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount refunded"), validators=[DataRequired(_l("Enter an amount.")), Length(max=64)])


class MissDisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you think it was paid?"),
        validators=[DataRequired(_l("Say why you think this instalment was paid.")), Length(max=2000)],
    )


class MissDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("keep", _l("Keep it missed")),
            SelectChoice("due", _l("Back to due: the business marks it again")),
        ],
        validators=[InputRequired(_l("Choose one."))],
    )


class CollectionImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file to import."))],
        description=_l(
            "UTF-8, comma or semicolon separated, at most 2 MB and 5,000 rows. "
            "Columns: outcome_id or email (the lead's), amount, collected_on (YYYY-MM-DD)."
        ),
    )
