"""Forms of the closer's Calendars page (checked again by ``calendars.service``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from closerhub.calendars.commands import NewConnection


class ConnectionForm(FlaskForm):
    """Connect a calendar: CalDAV (URL, user name, app password) or an ICS subscription (URL)."""

    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("caldav", _l("CalDAV account (read and write)")),
            SelectChoice("ics", _l("ICS subscription (read only)")),
        ],
        default="caldav",
    )
    url = StringField(_l("Address (URL)"))
    username = StringField(_l("User name (CalDAV)"))
    password = PasswordField(_l("App password (CalDAV)"))
    write_bookings = BooleanField(_l("Write my booked calls into this calendar"), default=True)

    def command(self) -> NewConnection:
        return NewConnection(
            kind=self.kind.data or "",
            url=self.url.data or "",
            username=self.username.data or "",
            password=self.password.data or "",
            write_bookings=bool(self.write_bookings.data),
        )


class ActionForm(FlaskForm):
    """A button that changes one connection or setting (the CSRF token only)."""


class KeepOfferingForm(FlaskForm):
    """The fail-closed setting."""

    keep_offering = BooleanField(_l("Keep offering slots while a calendar cannot be read"))
