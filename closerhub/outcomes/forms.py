"""Outcome forms: the closer's report, the business's dispute, the admin's resolution.

Fields check shape only; ``outcomes.validation`` and the service enforce the rules, so the
page and the API answer the same way.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import Money, parse_money
from closerhub.core.tz import local_to_utc
from closerhub.outcomes.commands import OutcomeData, PlannedInstalment
from closerhub.outcomes.models import Outcome

RESULT_CHOICES = [
    SelectChoice("won", _l("Won: the prospect bought")),
    SelectChoice("lost", _l("Lost")),
    SelectChoice("no_show", _l("No-show: the prospect did not come")),
    SelectChoice("follow_up", _l("Follow-up agreed")),
    SelectChoice("not_a_fit", _l("Not a fit: I declined to sell")),
]
LOST_CHOICES = [
    SelectChoice("", "—"),
    SelectChoice("price", _l("Price")),
    SelectChoice("timing", _l("Timing")),
    SelectChoice("authority", _l("Authority (not the decision maker)")),
    SelectChoice("need", _l("Need")),
    SelectChoice("competitor", _l("Competitor")),
    SelectChoice("trust", _l("Trust")),
    SelectChoice("other", _l("Other")),
]
TECHNIQUE_CHOICES = [
    SelectChoice("", "—"),
    SelectChoice("assumptive", _l("Assumptive close")),
    SelectChoice("alternative_choice", _l("Alternative choice")),
    SelectChoice("summary", _l("Summary close")),
    SelectChoice("direct_ask", _l("Direct ask")),
    SelectChoice("trial_close", _l("Trial close")),
    SelectChoice("other", _l("Other")),
]


def lines(text: str | None) -> list[str]:
    """One item per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class OutcomeForm(FlaskForm):
    result = RadioField(_l("What happened?"), choices=RESULT_CHOICES, validate_choice=False)
    deal_value = StringField(_l("Deal value"), validators=[Length(max=64)], description=_l("e.g. 4,800.00"))
    currency = StringField(_l("Currency"), validators=[Length(max=3)])
    currency_reason = StringField(_l("Why another currency than the offer's?"), validators=[Length(max=1000)])
    lost_reason = SelectField(_l("Why was it lost?"), choices=LOST_CHOICES, validate_choice=False)
    lost_reason_text = TextAreaField(_l("In their words"), validators=[Length(max=1000)])
    next_step = StringField(_l("Next step agreed"), validators=[Length(max=1000)])
    next_step_date = DateField(_l("Date of the next step"), validators=[Optional()])
    objections = TextAreaField(_l("Objections heard (one per line)"), validators=[Length(max=5000)])
    technique = SelectField(_l("Closing technique used"), choices=TECHNIQUE_CHOICES, validate_choice=False)
    buying_signals = TextAreaField(_l("Buying signals seen (one per line)"), validators=[Length(max=5000)])
    notes = TextAreaField(_l("Notes for the business"), validators=[Length(max=5000)])
    payment_plan = TextAreaField(
        _l("Payment plan (optional)"),
        validators=[Length(max=5000)],
        description=_l(
            "One instalment per line: its due date and amount, e.g. 2027-01-15 1,600.00. They must add up to "
            "the deal value. Empty: one payment, due on the call's date."
        ),
    )

    @classmethod
    def of(cls, outcome: Outcome | None) -> OutcomeForm:
        """The form blank, or filled with the outcome's current report (to correct it)."""
        if outcome is None:
            return cls()
        value = outcome.deal_value
        return cls(
            data={
                "result": outcome.result.value,
                "deal_value": str(value.to_decimal()) if value else "",
                "currency": value.currency if value else "",
                "currency_reason": outcome.currency_reason or "",
                "lost_reason": outcome.lost_reason.value if outcome.lost_reason else "",
                "lost_reason_text": outcome.lost_reason_text,
                "next_step": outcome.next_step,
                "objections": "\n".join(outcome.objections or []),
                "technique": outcome.technique.value if outcome.technique else "",
                "buying_signals": "\n".join(outcome.buying_signals or []),
                "notes": outcome.notes,
            }
        )

    def command(
        self, *, deal_value: Money | None, plan: tuple[PlannedInstalment, ...] | None, zone: str
    ) -> OutcomeData:
        """The report as the service's command: the deal value and plan parsed by the view, the next
        step's date at 09:00 in the closer's ``zone``; a plan only for a won deal."""
        won = self.result.data == "won"
        return OutcomeData(
            result=self.result.data or "",
            deal_value=deal_value,
            currency_reason=self.currency_reason.data or "",
            lost_reason=self.lost_reason.data or None,
            lost_reason_text=self.lost_reason_text.data or "",
            objections=tuple(lines(self.objections.data)),
            technique=self.technique.data or None,
            buying_signals=tuple(lines(self.buying_signals.data)),
            next_step=self.next_step.data or "",
            next_step_at=self.next_step_instant(zone),
            notes=self.notes.data or "",
            payment_plan=plan if won else None,
        )

    def plan(self, currency: str, locale: str) -> tuple[PlannedInstalment, ...] | None:
        """The payment plan typed in the form (None when empty); a ValidationError names the bad line."""
        rows = lines(self.payment_plan.data)
        if not rows:
            return None
        plan: list[PlannedInstalment] = []
        for number, row in enumerate(rows, start=1):
            day_text, _space, amount_text = row.partition(" ")
            try:
                day = date.fromisoformat(day_text.strip())
                amount = parse_money(amount_text.strip(), currency, locale, field="payment_plan")
            except (ValueError, ValidationError):
                message = _(
                    "Line %(line)d of the payment plan: write the due date then the amount, e.g. 2027-01-15 1,600.00.",
                    line=number,
                )
                raise ValidationError(message, field_errors={"payment_plan": message}) from None
            plan.append(PlannedInstalment(day, amount))
        return tuple(plan)

    def money(self, offer_currency: str, locale: str) -> Money | None:
        """The deal value typed in the form, parsed in the viewer's locale (None when empty)."""
        if not (self.deal_value.data or "").strip():
            return None
        currency = (self.currency.data or offer_currency).strip().upper() or offer_currency
        return parse_money(self.deal_value.data, currency, locale, allow_negative=True, field="deal_value")

    def next_step_instant(self, zone: str) -> datetime | None:
        """The next step's date at 09:00 in the closer's zone (a day is what a prospect agrees to)."""
        day: date | None = self.next_step_date.data
        if day is None:
            return None
        return local_to_utc(day, time(9, 0), zone)


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you dispute it?"),
        validators=[DataRequired(_l("Say why you dispute this outcome.")), Length(max=2000)],
    )


class ResolveForm(FlaskForm):
    action = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("confirm", _l("Confirm as recorded")),
            SelectChoice("adjust", _l("Adjust the value")),
            SelectChoice("void", _l("Void")),
        ],
        default="confirm",
        validate_choice=False,
    )
    deal_value = StringField(_l("Adjusted deal value"), validators=[Length(max=64)])
    note = TextAreaField(
        _l("Note (the closer and the business read it)"),
        validators=[DataRequired(_l("Write a note: the closer and the business read it.")), Length(max=2000)],
    )


class ReviewForm(FlaskForm):
    rating = IntegerField(
        _l("Rating (1–5)"),
        validators=[
            DataRequired(_l("Give a rating from 1 to 5.")),
            NumberRange(min=1, max=5, message=_l("Give a rating from 1 to 5.")),
        ],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=2000)])


def money_or_error(form: OutcomeForm, offer_currency: str, locale: str) -> tuple[Money | None, ValidationError | None]:
    """Parse the deal value; a parse error is returned so it joins the service's other field errors."""
    try:
        return form.money(offer_currency, locale), None
    except ValidationError as exc:
        return None, exc
