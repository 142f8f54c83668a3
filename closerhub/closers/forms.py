"""Closer forms: the profile, the weekly-hours table, an override date, a time-off range.

Fields check shape only; the services enforce the rules (so the API answers the same).
Everything works without JavaScript: repeated rows are plain inputs, and "add a row"
buttons post the form back with one more empty row.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from closerhub.closers.commands import AvailabilityChange, DayOverride, LanguageSkill, ProfileData
from closerhub.closers.profile_fields import language_choices
from closerhub.closers.rules import DEFAULTS
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.availability import WEEKDAY_NAMES
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _

LEVEL_CHOICES = [
    SelectChoice("native", _l("native")),
    SelectChoice("fluent", _l("fluent")),
    SelectChoice("working", _l("working")),
]
EXTRA_LANGUAGE_ROWS = 2


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageRow(Form):
    """One language row (a sub-form: the parent form carries the CSRF token)."""

    code = SelectField(_l("Language"), validate_choice=False)
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES, default="fluent", validate_choice=False)


class ProfileForm(FlaskForm):
    headline = StringField(
        _l("Headline"), validators=[Length(max=140)], description=_l("e.g. 'High-ticket coaching closer, FR/EN'")
    )
    bio = TextAreaField(_l("About you"), validators=[Length(max=5000)])
    languages = FieldList(FormField(LanguageRow), min_entries=1)
    industries = MultiCheckboxField(_l("Industries you close"), validate_choice=False)
    years_experience = IntegerField(_l("Years of experience"), validators=[Optional()], default=0)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    min_rate_percent = StringField(
        _l("Minimum commission (%)"), validators=[DataRequired()], description=_l("Between 10 and 20, e.g. 12.5")
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40)], description=_l("With the country code, e.g. +33 6…"))
    meeting_mode = RadioField(
        _l("How you meet prospects"),
        choices=[
            SelectChoice("generated_room", _l("A video room generated for each call")),
            SelectChoice("own_url", _l("My own meeting link")),
        ],
        default="generated_room",
        validate_choice=False,
    )
    meeting_url = StringField(_l("Your meeting link"), validators=[Length(max=500)], description="https://…")
    photo_url = StringField(
        _l("Your photo (address)"),
        validators=[Length(max=500)],
        description=_l("An https:// image address; prospects see it when they book with you"),
    )

    def setup_choices(self, locale: str) -> None:
        """Language and industry choices in the reader's language."""
        languages = [SelectChoice("", "—"), *(SelectChoice(code, name) for code, name in language_choices(locale))]
        for row in self.languages:
            row.form.code.choices = languages
        self.industries.choices = [SelectChoice(slug, _l(label)) for slug, label in INDUSTRIES.items()]

    def language_values(self) -> tuple[LanguageSkill, ...]:
        """The filled language rows (empty rows are ignored; a row without a level is fluent)."""
        return tuple(
            LanguageSkill(code=(row.form.code.data or "").strip(), level=row.form.level.data or "fluent")
            for row in self.languages
            if (row.form.code.data or "").strip()
        )

    def profile(self, min_rate_bps: int | None) -> ProfileData:
        """The command; ``min_rate_bps`` is the percentage field read (None when it could not be)."""
        return ProfileData(
            headline=self.headline.data or "",
            bio=self.bio.data or "",
            languages=self.language_values(),
            industries=tuple(self.industries.data or ()),
            timezone=(self.timezone.data or "").strip(),
            min_rate_bps=min_rate_bps,
            phone=self.phone.data,
            meeting_url=self.meeting_url.data,
            years_experience=self.years_experience.data if self.years_experience.data is not None else 0,
            meeting_mode=self.meeting_mode.data or "",
            photo_url=self.photo_url.data,
        )


def percent_to_bps(text: str | None) -> int:
    """``"12.5"`` (or ``"12,5"``) % → 1250 bps; more than two decimals or not a number is refused."""
    try:
        value = Decimal((text or "").strip().rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    bps = value * 100 if value.is_finite() else None
    if bps is None or bps != bps.to_integral_value():
        raise ValidationError(
            _("Enter the minimum commission as a percentage, e.g. 12.5."),
            field_errors={"min_rate_bps": _("Enter a percentage such as 12.5.")},
        )
    return int(bps)


def bps_to_percent(bps: int) -> str:
    """1250 → ``"12.5"``; 1500 → ``"15"``."""
    return f"{Decimal(bps) / 100:f}".rstrip("0").rstrip(".") if bps % 100 else str(bps // 100)


class AvailabilitySettingsForm(FlaskForm):
    """The settings above the weekly table (the table's rows are parsed by ``weekly_rows``)."""

    timezone = StringField(_l("Your time zone"), validators=[DataRequired(), Length(max=64)])
    slot_minutes = IntegerField(_l("Call length (minutes)"), description=_l("15 to 240"))
    buffer_minutes = IntegerField(_l("Buffer between calls (minutes)"), validators=[Optional()], default=0)
    min_notice_minutes = IntegerField(_l("Minimum notice (minutes)"), validators=[Optional()], default=0)
    horizon_days = IntegerField(_l("Bookable up to (days ahead)"), description=_l("1 to 365"))
    max_per_day = IntegerField(_l("Maximum calls per day"), validators=[Optional()], description=_l("Empty: no limit"))

    def command(self) -> AvailabilityChange:
        """The settings as a command (no weekly hours yet: the table adds them); blank buffer and notice are 0."""
        return AvailabilityChange(
            timezone=(self.timezone.data or "").strip(),
            slot_minutes=_or_default(self.slot_minutes.data, "slot_minutes"),
            buffer_minutes=self.buffer_minutes.data or 0,
            min_notice_minutes=self.min_notice_minutes.data or 0,
            horizon_days=_or_default(self.horizon_days.data, "horizon_days"),
            max_per_day=self.max_per_day.data,
        )


def _or_default(value: int | None, setting: str) -> int:
    """A required setting's number; the default only when the field was not posted at all (a blank one fails
    the form's own check)."""
    return value if value is not None else int(DEFAULTS[setting])


def weekly_rows(form: MultiDict[str, str], add_row: int | None = None) -> list[list[dict[str, str]]]:
    """The weekly table as posted: per weekday (0 = Monday), its rows ``{"start", "end"}`` (blank rows kept).

    Inputs are named ``w<weekday>_<row>_start`` / ``_end`` with ``w<weekday>_rows`` the row
    count; ``add_row`` appends one blank row to that weekday (the "add interval" button).
    """
    days: list[list[dict[str, str]]] = []
    for weekday in range(7):
        try:
            count = max(1, min(int(form.get(f"w{weekday}_rows", "1")), 24))
        except ValueError:
            count = 1
        rows = [
            {"start": form.get(f"w{weekday}_{i}_start", "").strip(), "end": form.get(f"w{weekday}_{i}_end", "").strip()}
            for i in range(count)
        ]
        if add_row == weekday:
            rows.append({"start": "", "end": ""})
        days.append(rows)
    return days


def weekly_rows_from(weekly: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """The table for saved intervals: each weekday's intervals plus one blank row to add another."""
    days: list[list[dict[str, str]]] = [[] for _day in WEEKDAY_NAMES]
    for item in weekly:
        days[item["weekday"]].append({"start": item["start"], "end": item["end"]})
    return [[*rows, {"start": "", "end": ""}] for rows in days]


class OverrideForm(FlaskForm):
    day = StringField(_l("Date"), validators=[DataRequired()])
    kind = RadioField(
        _l("That day"),
        choices=[SelectChoice("off", _l("Day off")), SelectChoice("hours", _l("Different hours"))],
        default="off",
        validate_choice=False,
    )
    start = StringField(_l("From"))
    end = StringField(_l("To"))
    start2 = StringField(_l("And from"))
    end2 = StringField(_l("To"))

    def command(self) -> DayOverride:
        """The date and its hours as a command."""
        return DayOverride((self.day.data or "").strip(), self.intervals())

    def intervals(self) -> tuple[tuple[str, str], ...]:
        """The hours entered (none for a day off); half-filled pairs are kept so the rules can name them."""
        if self.kind.data != "hours":
            return ()
        pairs = [(self.start.data, self.end.data), (self.start2.data, self.end2.data)]
        out = tuple(((s or "").strip(), (e or "").strip()) for s, e in pairs if (s or "").strip() or (e or "").strip())
        if not out:
            raise ValidationError(
                _("Give the hours of that day, or choose a day off."), field_errors={"start": _("Required.")}
            )
        return out


class TimeOffForm(FlaskForm):
    first_day = StringField(_l("First day off"), validators=[DataRequired()])
    last_day = StringField(_l("Last day off"), validators=[DataRequired()])
    reason = StringField(_l("Note (optional)"), validators=[Length(max=200)])
