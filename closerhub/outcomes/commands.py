"""Typed commands of the outcome use cases, built by the outcome forms and the API schemas.

``OutcomeData`` is what a closer reports about a call (``service.record_outcome`` and
``correct_outcome``); ``PlannedInstalment`` one line of a won deal's payment plan. Fields are
typed: the form or the API schema has turned text and JSON into them; ``validation.clean_outcome``
and the services check the rules. A rule broken names the command's field; ``form_names`` says
where the form shows it (``errors_for`` / ``show_errors``). The one- and two-value actions
(confirm, dispute, resolve, review, reply, an instalment's collection, refund and miss dispute)
take their typed values as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from closerhub.commands import Command
from closerhub.core.money import Money
from closerhub.outcomes.models import LostReason, OutcomeResult, Technique


@dataclass(frozen=True)
class PlannedInstalment:
    """One line of a payment plan as given: when it is due and how much."""

    due_on: date
    amount: Money


@dataclass(frozen=True)
class OutcomeData(Command):
    """What the closer reports about a call (the outcome form and the API both build one).

    ``result``, ``lost_reason`` and ``technique`` are the enum or its code as sent ("" or None:
    not given); a code outside the vocabulary is the service's "Choose one of" error.
    """

    form_names: ClassVar[Mapping[str, str]] = {"next_step_at": "next_step_date"}

    result: OutcomeResult | str
    deal_value: Money | None = None
    currency_reason: str = ""
    lost_reason: LostReason | str | None = None
    lost_reason_text: str = ""
    objections: tuple[str, ...] = ()
    technique: Technique | str | None = None
    buying_signals: tuple[str, ...] = ()
    next_step: str = ""
    next_step_at: datetime | None = None
    notes: str = ""
    #: Won: the plan as (due date, amount) lines; None: one instalment due on the call's date.
    payment_plan: tuple[PlannedInstalment, ...] | None = None
