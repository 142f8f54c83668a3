"""Typed commands of payouts: a closer's bank details for manual payouts (``details.save``).

Built by the payout setup form (``PayoutDetailsForm.command``) and the API body
(``PUT /api/v1/closers/me/payout-details``); ``details.validate`` checks the chosen scheme's
fields and names a wrong one by its field here, which the form and the API name alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.commands import Command
from closerhub.payments.payouts.details_models import Scheme


@dataclass(frozen=True)
class BankDetails(Command):
    """Every scheme's fields; ``scheme`` says which are read (the others are ignored).

    ``scheme`` is the enum or its code as sent (an unknown one is "Choose how you want to be paid").
    Numbers are as typed: spaces, dots and dashes are removed by the service.
    """

    scheme: Scheme | str
    holder: str = ""
    iban: str | None = None
    bic: str | None = None
    routing_number: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    bank_name: str | None = None
    country: str | None = None
