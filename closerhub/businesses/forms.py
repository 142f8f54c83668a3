"""Business forms: the profile, the team, offers. Fields check shape; the services enforce the rules.

Each form builds its service's command (``businesses.commands``) from what it read.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from closerhub.accounts.forms import LANGUAGE_CHOICES
from closerhub.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from closerhub.businesses.commands import BusinessSettings, ChangePolicy, Invitation, JoinTeam, OfferData
from closerhub.businesses.models import Business
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.availability import START_INCREMENTS
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import Money
from closerhub.core.tz import is_valid_zone
from closerhub.core.zone_labels import zone_named
from closerhub.i18n import current_locale


def _items(text: str | None, separators: str) -> tuple[str, ...]:
    """The non-empty parts of a text field listing several values (``"en, fr"``, one per line)."""
    return tuple(part for part in re.split(separators, text or "") if part)


def prospect_zones(text: str | None) -> tuple[str, ...]:
    """The prospects' zones as typed: cities (``Paris, New York``, in the reader's language or English) or
    IANA names, separated by commas, semicolons or lines (IANA names separated by spaces, as saved
    before cities were understood, too). A place no zone answers to is refused, named."""
    zones: list[str] = []
    for item in _items(text, r"\s*[,;\n]\s*"):
        item = item.strip()
        parts = item.split()
        if not item:
            continue
        if is_valid_zone(item):
            zones.append(item)
        elif len(parts) > 1 and all(is_valid_zone(part) for part in parts):
            zones.extend(parts)
        elif (zone := zone_named(item, current_locale())) is not None:
            zones.append(zone)
        else:
            message = _(
                "No time zone answers to %(place)s: name a city (Paris, New York) or a time zone (Europe/Paris).",
                place=repr(item),
            )
            raise ValidationError(message, field_errors={"prospect_timezones": message})
    return tuple(zones)


class BusinessProfileForm(FlaskForm):
    name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=120)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=255)])
    industry = SelectField(
        _l("Industry"),
        choices=[SelectChoice("", "—"), *(SelectChoice(slug, _l(label)) for slug, label in INDUSTRIES.items())],
        validate_choice=False,  # the service names an unknown slug clearly
    )
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    currency = StringField(
        _l("Currency"),
        validators=[DataRequired(), Length(min=3, max=3)],
        description=_l("ISO 4217 code, e.g. EUR, USD, GBP"),
    )
    prospect_languages = StringField(
        _l("Languages your prospects speak"),
        validators=[Length(max=200)],
        description=_l("ISO 639-1 codes separated by commas, e.g. en, fr"),
    )
    prospect_timezones = StringField(
        _l("Where your prospects live (time zones)"),
        validators=[Length(max=700)],
        description=_l("Cities or time zones separated by commas, e.g. Paris, New York, Asia/Tokyo"),
    )
    # The booking pages' brand and who may embed them (``businesses.brand`` checks them).
    brand_color = StringField(
        _l("Brand colour"),
        validators=[Length(max=20)],
        description=_l("#rrggbb, dark enough for white text (e.g. #1d4ed8); empty: CloserHub's"),
    )
    logo_url = StringField(
        _l("Logo address"), validators=[Length(max=600)], description=_l("An https:// image address (a square logo)")
    )
    embed_origins = TextAreaField(
        _l("Sites that may embed your booking pages"),
        validators=[Length(max=6000)],
        description=_l("One exact origin per line, e.g. https://www.example.com (no path, no wildcard)"),
    )
    # Change policy for booked calls (``businesses.change_policy`` checks the same bounds; left empty: unchanged).
    change_notice_minutes = IntegerField(
        _l("Minimum notice to move or cancel a call (minutes)"),
        validators=[Optional(), NumberRange(min=0, max=20160)],
        description=_l("e.g. 240 for 4 hours; 0 allows changes until the call starts"),
    )
    change_reason_required = BooleanField(_l("Ask for a reason when a call is moved or cancelled"))
    max_reschedules = IntegerField(
        _l("How many times a call may be moved"),
        validators=[Optional(), NumberRange(min=0, max=10)],
        description=_l("From 0 to 10"),
    )

    def command(self, brand_color: str | None) -> BusinessSettings:
        """The profile as typed; ``brand_color`` is the colour chosen (typed, or the shade offered)."""
        return BusinessSettings(
            name=self.name.data or "",
            website=self.website.data,
            timezone=(self.timezone.data or "").strip(),
            currency=self.currency.data or "",
            industry=self.industry.data or None,
            prospect_languages=_items(self.prospect_languages.data, r"[\s,;]+"),
            prospect_timezones=prospect_zones(self.prospect_timezones.data),
            brand_color=brand_color,
            logo_url=self.logo_url.data,
            embed_origins=_items(self.embed_origins.data, r"[\s,]+"),
        )

    def policy(self, business: Business) -> ChangePolicy:
        """The change policy as typed; a number left empty keeps the business's current one."""
        notice, moves = self.change_notice_minutes.data, self.max_reschedules.data
        return ChangePolicy(
            change_notice_minutes=business.change_notice_minutes if notice is None else notice,
            change_reason_required=bool(self.change_reason_required.data),
            max_reschedules=business.max_reschedules if moves is None else moves,
        )


class InviteForm(FlaskForm):
    email = EmailField(_l("Colleague's email"), validators=[DataRequired(), Email(), Length(max=254)])
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="en")

    def command(self) -> Invitation:
        return Invitation(email=self.email.data or "", language=self.language.data or "")


class JoinForm(FlaskForm):
    """The invitee opens their account (the email is the invitation's)."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)], default="UTC")
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")

    def command(self) -> JoinTeam:
        return JoinTeam(
            name=self.name.data or "",
            password=self.password.data or "",
            timezone=(self.timezone.data or "").strip(),
            language=self.language.data or "",
        )


class OfferForm(FlaskForm):
    name = StringField(_l("Offer name"), validators=[DataRequired(), Length(max=120)])
    price = StringField(
        _l("Price"), validators=[DataRequired(), Length(max=64)], description=_l("What the prospect pays, e.g. 2,500")
    )
    currency = StringField(_l("Currency"), validators=[DataRequired(), Length(min=3, max=3)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    sales_cycle_days = IntegerField(
        _l("Typical sales cycle (days)"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
        description=_l("From the first call to the signature; 0 for a one-call close"),
    )
    closing_script = TextAreaField(
        _l("Closing script or call guide"),
        validators=[Length(max=20000)],
        description=_l("What the closer should cover, in which order; objections and answers."),
    )
    qualification_notes = TextAreaField(
        _l("Qualification notes"),
        validators=[Length(max=5000)],
        description=_l("Who is a fit and who is not: budget, authority, need, timing."),
    )
    booking_questions = TextAreaField(
        _l("Booking questions"),
        validators=[Length(max=2500)],
        description=_l("One question per line, at most 10; the booking page asks them to the prospect."),
    )
    call_minutes = IntegerField(
        _l("Call length (minutes)"),
        validators=[DataRequired(), NumberRange(min=15, max=240)],
        default=60,
        description=_l("15 to 240; the same whichever closer takes the call"),
    )
    start_increment_minutes = SelectField(
        _l("Calls start every"),
        choices=[SelectChoice(m, _l("%(num)d minutes", num=m)) for m in START_INCREMENTS],
        coerce=int,
        default=60,
    )
    is_active = BooleanField(_l("Active (closers can be engaged and calls booked)"), default=True)
    calls_recorded = BooleanField(
        _l("Calls are recorded (the booking page says so, and asks for consent where every party must agree)"),
        default=False,
    )

    def question_list(self) -> tuple[str, ...]:
        """The textarea's non-empty lines, in order."""
        return tuple(line.strip() for line in (self.booking_questions.data or "").splitlines() if line.strip())

    def command(self, price: Money | None) -> OfferData:
        """The offer as typed; ``price`` is the parsed price (None when it could not be read)."""
        return OfferData(
            name=self.name.data or "",
            price=price,
            description=self.description.data or "",
            sales_cycle_days=self.sales_cycle_days.data,
            closing_script=self.closing_script.data or "",
            qualification_notes=self.qualification_notes.data or "",
            booking_questions=self.question_list(),
            is_active=bool(self.is_active.data),
            calls_recorded=bool(self.calls_recorded.data),
            call_minutes=self.call_minutes.data,
            start_increment_minutes=self.start_increment_minutes.data,
        )
