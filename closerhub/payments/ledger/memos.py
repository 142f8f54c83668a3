"""Ledger memos stored as a code with parameters, written out when read, in the reader's language.

An entry keeps ``memo_code`` (``commission``, ``refund``…) and ``memo_params`` (the ids it is about)
beside ``memo``, the English sentence kept for the API and the audit of older clients. Pages
render the code: "Commission on the call with Lea Martin on Fri, Dec 4" rather than
"Commission on outcome #13 (appointment #13)". Entries written before the codes existed (the ledger
is append-only: the database refuses to rewrite them) are read back by ``parse_legacy``, which
recognises every sentence the app used to write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from closerhub.core.i18n import N_, _


@dataclass(frozen=True)
class Memo:
    """What a ledger entry is about: a code, the ids it names, and its English sentence."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> str:
        return _english(self.code, self.params)

    def columns(self) -> dict[str, Any]:
        """The ledger entry's ``memo``, ``memo_code`` and ``memo_params``."""
        return {"memo": self.english, "memo_code": self.code, "memo_params": dict(self.params)}


# code → (English sentence with the ids, for ``memo``; the label with the call, for people)
_SENTENCES: dict[str, tuple[str, str]] = {
    "commission": (
        "Commission on outcome #{outcome_id} (appointment #{appointment_id})",
        N_("Commission on %(call)s"),
    ),
    "released": ("Released after the clawback hold (outcome #{outcome_id})", N_("Released after the hold: %(call)s")),
    "payout": ("Payout #{payout_id}", N_("Payout #%(payout_id)s")),
    "payout_failed": (
        "Payout #{payout_id} failed: returned to available",
        N_("Payout #%(payout_id)s failed: back to available"),
    ),
    "transfer_reversed": (
        "Transfer of payout #{payout_id} reversed on Stripe: back to available",
        N_("Transfer of payout #%(payout_id)s reversed: back to available"),
    ),
    "clawback_reversed": (
        "Clawback of outcome #{outcome_id}: transfer of payout #{payout_id} reversed ({reversal})",
        N_("Clawback of %(call)s: transfer of payout #%(payout_id)s reversed"),
    ),
    "refund": ("Refund of charge #{charge_id} (outcome #{outcome_id})", N_("Refund of the charge for %(call)s")),
    "manual_refund": (
        "Refund of charge #{charge_id} (outcome #{outcome_id}), recorded by hand",
        N_("Refund of the charge for %(call)s (bank transfer)"),
    ),
    "manual_chargeback": (
        "Chargeback of charge #{charge_id} (outcome #{outcome_id}), recorded by hand",
        N_("Chargeback of the charge for %(call)s (bank transfer)"),
    ),
    "chargeback": ("Chargeback on charge #{charge_id} (outcome #{outcome_id})", N_("Chargeback on %(call)s")),
    "chargeback_won": (
        "Chargeback won on charge #{charge_id} (outcome #{outcome_id})",
        N_("Chargeback won: %(call)s"),
    ),
    "instalment_commission": (
        "Commission on instalment {position} of outcome #{outcome_id}",
        N_("Commission on instalment %(position)s of %(call)s"),
    ),
    "instalment_refund": (
        "Refund on instalment {position} of outcome #{outcome_id}",
        N_("Refund on instalment %(position)s of %(call)s"),
    ),
    "instalment_released": (
        "Released after the hold (instalment {position}, outcome #{outcome_id})",
        N_("Released after the hold: instalment %(position)s of %(call)s"),
    ),
    "corrected": ("Correction of outcome #{outcome_id}", N_("Outcome corrected: %(call)s")),
    "voided": ("Outcome #{outcome_id} voided by an admin", N_("Outcome voided by an admin: %(call)s")),
    "adjusted": ("Outcome #{outcome_id} adjusted by an admin", N_("Outcome adjusted by an admin: %(call)s")),
}


MEMO_CODES: tuple[str, ...] = tuple(_SENTENCES)


def _english(code: str, params: Mapping[str, Any]) -> str:
    return _SENTENCES[code][0].format(**params)


def _legacy_pattern(sentence: str) -> re.Pattern[str]:
    escaped = re.escape(sentence)
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^)\\s]+)", escaped) + "$")


_LEGACY = [(code, _legacy_pattern(english)) for code, (english, _label) in _SENTENCES.items()]


def parse_legacy(memo: str) -> Memo | None:
    """The code and ids of a sentence written before memos had codes; None for any other text."""
    for code, pattern in _LEGACY:
        found = pattern.match(memo or "")
        if found:
            params = {k: int(v) if v.isdigit() else v for k, v in found.groupdict().items()}
            return Memo(code, params)
    return None


def memo_of(code: str | None, params: Mapping[str, Any] | None, memo: str) -> Memo | None:
    """The entry's memo: its stored code, else the one read back from its sentence."""
    if code in _SENTENCES:
        return Memo(code, dict(params or {}))
    return parse_legacy(memo)


def render(memo: Memo | None, fallback: str, call_text: Callable[[int], str | None]) -> str:
    """The memo in the reader's language; ``call_text(outcome_id)`` names the call (client and day)."""
    if memo is None:
        return fallback
    params = dict(memo.params)
    outcome_id = params.get("outcome_id")
    params["call"] = (call_text(int(outcome_id)) if outcome_id is not None else None) or _("a call")
    return _(_SENTENCES[memo.code][1], **params)
