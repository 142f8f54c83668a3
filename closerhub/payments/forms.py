"""Payments forms: a closer's payout details (manual mode) and an admin's refund or chargeback record.

Fields check shape only; the services (``payout_details``, ``refunds``) enforce the rules.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from closerhub.core.money import parse_money
from closerhub.payments.charges.commands import ManualReturn, ReturnKind
from closerhub.payments.charges.refunds import REASON_MAX
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.details_models import Scheme

SCHEME_CHOICES = [
    SelectChoice(Scheme.IBAN.value, _l("IBAN (SEPA and other IBAN countries)")),
    SelectChoice(Scheme.US.value, _l("United States: routing number and account number")),
    SelectChoice(Scheme.UK.value, _l("United Kingdom: sort code and account number")),
    SelectChoice(Scheme.OTHER.value, _l("Another country: bank name, account number and SWIFT/BIC")),
]


class PayoutDetailsForm(FlaskForm):
    """Every scheme's fields on one form (works without JavaScript); the chosen scheme's are checked."""

    scheme = RadioField(
        _l("How should we pay you?"), choices=SCHEME_CHOICES, default=Scheme.IBAN.value, validate_choice=False
    )
    holder = StringField(_l("Account holder"), validators=[Length(max=200)])
    iban = StringField(_l("IBAN"), validators=[Optional(), Length(max=64)])
    bic = StringField(_l("BIC / SWIFT code"), validators=[Optional(), Length(max=20)])
    routing_number = StringField(_l("Routing number (US)"), validators=[Optional(), Length(max=20)])
    sort_code = StringField(_l("Sort code (UK)"), validators=[Optional(), Length(max=20)])
    account_number = StringField(_l("Account number (US, UK, other)"), validators=[Optional(), Length(max=64)])
    bank_name = StringField(_l("Bank name (other)"), validators=[Optional(), Length(max=200)])
    country = StringField(_l("Country of the account, two letters (other)"), validators=[Optional(), Length(max=10)])

    def command(self) -> BankDetails:
        """The submitted details as the service's command (an empty field is None)."""
        return BankDetails(
            scheme=self.scheme.data or "",
            holder=self.holder.data or "",
            **{name: getattr(self, name).data or None for name in FIELD_NAMES if name != "holder"},
        )


FIELD_NAMES = ("holder", "iban", "bic", "routing_number", "sort_code", "account_number", "bank_name", "country")


class ReturnForm(FlaskForm):
    """An admin records money the business got back on a manual charge."""

    kind = RadioField(
        _l("What happened"),
        choices=[
            SelectChoice(ReturnKind.REFUND.value, _l("We refunded the business")),
            SelectChoice(ReturnKind.CHARGEBACK.value, _l("The business's bank charged the payment back")),
        ],
        default=ReturnKind.REFUND.value,
        validate_choice=False,
    )
    amount = StringField(_l("Amount returned"), validators=[Length(max=64)])
    reason = StringField(_l("Reason or bank reference"), validators=[Optional(), Length(max=REASON_MAX)])
    expected = HiddenField()  # the returned total shown on the form: a double submit changes nothing

    def command(self, currency: str, locale: str) -> ManualReturn:
        """The record as the service's command: the amount parsed in the admin's ``locale`` (a ValidationError
        on ``amount`` when unreadable); an unreadable ``expected`` total never matches (nothing recorded)."""
        expected = self.expected.data or ""
        return ManualReturn(
            kind=self.kind.data or "",
            amount=parse_money(self.amount.data or "", currency, locale, field="amount"),
            reason=self.reason.data or "",
            expected_returned=int(expected) if expected.isdigit() else -1,
        )
