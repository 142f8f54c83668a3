"""Typed commands of charges: an admin's record of money a business got back on a manual charge.

Built by the money desk's return form (``ReturnForm.command``) and the API body
(``POST /api/v1/charges/<id>/manual-returns``); ``refunds.record_manual_return`` checks it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from closerhub.commands import Command
from closerhub.core.money import Money


class ReturnKind(enum.StrEnum):
    REFUND = "refund"
    CHARGEBACK = "chargeback"


@dataclass(frozen=True)
class ManualReturn(Command):
    """A refund or chargeback of ``amount``; ``kind`` is the enum or its code as sent.

    ``expected_returned``: the charge's returned total the admin saw when opening the form (None: no
    such check; the API relies on its ``Idempotency-Key``).
    """

    form_names: ClassVar[Mapping[str, str]] = {"expected_returned": "expected"}
    api_names: ClassVar[Mapping[str, str]] = {"expected_returned": "expected_refunded"}

    kind: ReturnKind | str
    amount: Money
    reason: str = ""
    expected_returned: int | None = None
