"""Account forms. Field checks here are for shape; the service enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from closerhub.accounts.commands import EmailChange, Preferences, SignupData
from closerhub.accounts.passwords import MAX_LENGTH, MIN_LENGTH

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("fr", "Français")]


class SignupForm(FlaskForm):
    role = RadioField(
        _l("I am"),
        choices=[
            SelectChoice("business", _l("a business looking for closers")),
            SelectChoice("closer", _l("a closer looking for work")),
        ],
        validators=[DataRequired(_l("Choose closer or business."))],
    )
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    business_name = StringField(_l("Business name"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)], default="UTC")
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")

    def command(self) -> SignupData:
        return SignupData(
            email=self.email.data or "",
            password=self.password.data or "",
            name=self.name.data or "",
            role=self.role.data or "",
            timezone=(self.timezone.data or "").strip(),
            language=self.language.data or "en",
            business_name=self.business_name.data,
        )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])


class PreferencesForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)

    def command(self) -> Preferences:
        return Preferences(
            name=self.name.data or "",
            timezone=(self.timezone.data or "").strip(),
            language=self.language.data or "",
        )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])

    def command(self) -> EmailChange:
        return EmailChange(email=self.email.data or "", password=self.password.data or "")


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("e.g. 'Zapier funnel' — to recognise it later"),
    )
