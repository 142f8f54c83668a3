"""Lead forms: a lead by hand, and the CSV upload. Fields check shape; ``booking.leads`` enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from closerhub.accounts.forms import LANGUAGE_CHOICES
from closerhub.leads.cleaning import BUDGET_MAX, CONTEXT_TEXT_MAX, EMAIL_MAX, NAME_MAX, SOURCE_MAX
from closerhub.leads.commands import CONTEXT_FIELDS, LeadDetails

_LONG = [Length(max=CONTEXT_TEXT_MAX)]


class LeadForm(FlaskForm):
    """Who the prospect is and what the closer needs to know before the call."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    phone = StringField(
        _l("Phone"),
        validators=[Length(max=40)],
        description=_l("International format with the country code, e.g. +33 6 12 34 56 78"),
    )
    timezone = StringField(
        _l("Lead's time zone"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Where the prospect lives, e.g. America/New_York; slots and emails use it."),
    )
    language = SelectField(_l("Language of the lead's emails"), choices=LANGUAGE_CHOICES, default="en")
    needs = TextAreaField(_l("Needs"), validators=_LONG, description=_l("What the prospect wants to achieve."))
    motivations = TextAreaField(_l("Motivations"), validators=_LONG, description=_l("Why now; what is at stake."))
    blockers = TextAreaField(
        _l("Blockers"), validators=_LONG, description=_l("Objections, doubts, what held them back so far.")
    )
    budget = StringField(_l("Budget"), validators=[Length(max=BUDGET_MAX)], description=_l("e.g. 3–5k EUR"))
    decision_makers = TextAreaField(
        _l("Decision-makers involved"), validators=_LONG, description=_l("Who else decides or signs.")
    )
    notes = TextAreaField(_l("Notes from the setter"), validators=_LONG)
    source = StringField(
        _l("Source"), validators=[Length(max=SOURCE_MAX)], description=_l("Where the lead came from, e.g. webinar")
    )

    def details(self) -> LeadDetails:
        """The service's command: every field (a blank optional field clears it)."""
        fields = ("name", "email", "phone", "timezone", "language", *CONTEXT_FIELDS, "source")
        return LeadDetails.from_text({name: getattr(self, name).data or "" for name in fields})


class LeadImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file to import."))],
        description=_l(
            "UTF-8, comma or semicolon separated, at most 2 MB and 5,000 rows. "
            "Columns: name, email, timezone (required); phone, language, needs, motivations, blockers, "
            "budget, decision makers, notes, source."
        ),
    )
