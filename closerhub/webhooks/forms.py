"""Integrations page forms: an endpoint, a replay instant. Fields check shape; the service checks the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from closerhub.closers.forms import MultiCheckboxField
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.models import EVENT_TYPES


class EndpointForm(FlaskForm):
    url = StringField(_l("Endpoint URL"), description=_l("Where CloserHub POSTs events (https://…)."))
    events = MultiCheckboxField(
        _l("Events to send"), choices=[SelectChoice(t, t) for t in EVENT_TYPES], validate_choice=False
    )
    description = TextAreaField(_l("Description"))

    def command(self) -> NewEndpoint:
        return NewEndpoint(
            url=self.url.data or "",
            events=tuple(str(e) for e in self.events.data or ()),
            description=self.description.data or "",
        )


class ReplayForm(FlaskForm):
    since = DateTimeLocalField(
        _l("Replay events since"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("Give a date and time."))],
    )
