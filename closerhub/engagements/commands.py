"""Engagement commands: what a business proposes, and the new terms of a rate change.

The HTML forms take the commission as a percentage (``rate_percent``); the API and the
service take basis points (``commission_rate_bps``): ``form_names`` says so, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from closerhub.commands import Command
from closerhub.engagements.models import CommissionBasis


@dataclass(frozen=True)
class Proposal(Command):
    """A business proposes one of its active offers to a closer at a commission.

    ``commission_rate_bps`` is None when the form's percentage could not be read: the
    service still checks the other fields and reports the rate as out of range.
    """

    closer_id: int
    offer_id: int
    commission_rate_bps: int | None
    commission_basis: CommissionBasis = CommissionBasis.CONTRACT_VALUE

    form_names: ClassVar[Mapping[str, str]] = {"commission_rate_bps": "rate_percent"}


@dataclass(frozen=True)
class RateChange(Command):
    """New terms for an open engagement; ``commission_basis`` None keeps the current basis."""

    commission_rate_bps: int | None
    commission_basis: CommissionBasis | None = None

    form_names: ClassVar[Mapping[str, str]] = {"commission_rate_bps": "rate_percent"}
