"""What outcomes tell the packages above them (``closerhub.events``): the money consequences of an
outcome's life. ``payments`` subscribes (``payments.outcome_events``): it keeps the ledger and bills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from closerhub.outcomes.models import Outcome
from closerhub.outcomes.models_instalments import Instalment


@dataclass(frozen=True)
class CommissionEarned:
    """A won outcome was recorded: its commission enters the closer's pending balance."""

    outcome: Outcome
    now: datetime


@dataclass(frozen=True)
class CommissionRestated:
    """The outcome's commission changed (``reason``: ``corrected`` by the closer, ``adjusted`` by an admin)."""

    outcome: Outcome
    now: datetime
    reason: str


@dataclass(frozen=True)
class CommissionReversed:
    """Everything the outcome earned is taken back (``reason``: ``voided`` by an admin)."""

    outcome: Outcome
    now: datetime
    reason: str


@dataclass(frozen=True)
class CommissionOwed:
    """A won outcome is settled (confirmed, auto-confirmed or resolved) and owes commission: bill the business.

    In Stripe mode the handler commits the settlement with the charge row before calling Stripe
    (so publish it last in the unit of work)."""

    outcome: Outcome
    now: datetime


@dataclass(frozen=True)
class InstalmentCollected:
    """A cash-collected deal's instalment arrived: its commission accrues and the business is billed.

    In Stripe mode the handler commits before calling Stripe (publish it last in the unit of work)."""

    instalment: Instalment
    now: datetime


@dataclass(frozen=True)
class InstalmentRefunded:
    """Part of a collected instalment went back to the customer: its commission is taken back; card
    refunds are sent after the publisher commits (``events.commit``)."""

    instalment: Instalment
    now: datetime
