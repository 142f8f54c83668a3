"""Booking forms: the prospect's details, rescheduling, cancelling, booking for a lead.

Fields check shape only (required, lengths, choices); the booking service enforces the
rules (free slot, notice, policy) and names the field that broke one.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from closerhub.accounts.forms import LANGUAGE_CHOICES
from closerhub.leads.commands import LeadDetails

CHANNEL_CHOICES = [SelectChoice("video", _l("Video call")), SelectChoice("phone", _l("Phone call"))]
ANSWER_MAX = 1000
NOTE_MAX = 2000  # booking.no_shows.NOTE_MAX
REASON_MAX = 1000


class ProspectForm(FlaskForm):
    """The public booking page's confirm step; the offer's questions are read from ``answer_<n>`` fields."""

    start = HiddenField()
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=32)],
        description=_l("With the country code, e.g. +1 212 555 0100; needed for a phone call"),
    )
    timezone = SelectField(_l("Your time zone"), validate_choice=False)
    language = SelectField(_l("Language of your emails"), choices=LANGUAGE_CHOICES, default="en")
    channel = RadioField(_l("How do you want to talk?"), choices=CHANNEL_CHOICES, default="video")
    # Unticked by default; the words are ``booking.consents`` (stored with the consent).
    sms_consent = BooleanField(default=False)
    recording_consent = BooleanField(default=False)

    def details(self, *, source: str) -> LeadDetails:
        """The prospect as the booking's ``LeadDetails`` (``source``: where the funnel says they came from)."""
        return LeadDetails(
            name=self.name.data or "",
            email=self.email.data or "",
            phone=self.phone.data or None,
            timezone=self.timezone.data or "",
            language=self.language.data,
            source=source,
        )


class RescheduleForm(FlaskForm):
    """Pick another free slot of the same closer (radio buttons named ``start``) and say why."""

    start = HiddenField()  # the chosen slot (radio buttons of the slot picker carry the same name)
    reason = TextAreaField(_l("Reason for the change"), validators=[Length(max=REASON_MAX)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[Length(max=REASON_MAX)])


_INTERNAL_HELP = _l("Internal: the business, the closer and CloserHub read it; the prospect never does.")
_MESSAGE_LABEL = _l("Message to the prospect (optional)")
_MESSAGE_HELP = _l("The prospect reads this in their notice, instead of the reason.")


class TeamRescheduleForm(RescheduleForm):
    """The signed-in page's reschedule: an internal reason and, separately, a message for the prospect."""

    reason = TextAreaField(_l("Internal reason"), validators=[Length(max=REASON_MAX)], description=_INTERNAL_HELP)
    message_to_prospect = TextAreaField(_MESSAGE_LABEL, validators=[Length(max=REASON_MAX)], description=_MESSAGE_HELP)


class TeamCancelForm(CancelForm):
    """The signed-in page's cancel: an internal reason and, separately, a message for the prospect."""

    reason = TextAreaField(_l("Internal reason"), validators=[Length(max=REASON_MAX)], description=_INTERNAL_HELP)
    message_to_prospect = TextAreaField(_MESSAGE_LABEL, validators=[Length(max=REASON_MAX)], description=_MESSAGE_HELP)


class HandBackForm(FlaskForm):
    """A closer gives a call back ("not a fit for me"), with the reason the business reads."""

    reason = TextAreaField(
        _l("Why you hand the call back"),
        validators=[DataRequired(_l("Say why: the business reads it.")), Length(max=REASON_MAX)],
        description=_l("The business reads it; the prospect is only told who takes the call, or that it is cancelled."),
    )


class BookForLeadForm(FlaskForm):
    """A business books an existing lead, or a closer a follow-up: the slot and the channel."""

    start = HiddenField(validators=[DataRequired(_l("Choose a time."))])
    channel = RadioField(_l("Channel"), choices=CHANNEL_CHOICES, default="video")


class CloserNoShowForm(FlaskForm):
    """ "My closer did not come": what happened, for the admin who reviews the report."""

    note = TextAreaField(_l("What happened? (optional)"), validators=[Length(max=NOTE_MAX)])


class NoShowReviewForm(FlaskForm):
    """An admin's decision on a closer no-show report (the button pressed is the decision)."""

    note = TextAreaField(_l("Note (kept in the audit trail)"), validators=[Length(max=NOTE_MAX)])
