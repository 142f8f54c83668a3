"""API schemas of a closer's money: balances and ledger entries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from closerhub.api.schemas import CurrencyCode, OutModel, PageQuery, UTCInstant
from closerhub.payments.ledger.memos import MEMO_CODES, memo_of


class BalanceOut(OutModel):
    currency: str
    pending: int
    available: int
    paid: int


class BalancesOut(OutModel):
    balances: list[BalanceOut]


class LedgerEntryOut(OutModel):
    id: int
    closer_id: int
    currency: str
    bucket: Literal["pending", "available", "paid"]
    amount: int = Field(description="Minor units, signed: + into the bucket, − out of it")
    kind: Literal["earned", "released", "paid_out", "reversal", "adjustment"]
    outcome_id: int | None
    payout_id: int | None
    memo: str = Field(description="The English sentence (kept for older clients); prefer memo_code and memo_params")
    memo_code: str | None = Field(
        None,
        description="What the entry is about, to word it in your own language: "
        + ", ".join(MEMO_CODES)
        + ". Null for an entry whose memo is free text (an admin adjustment's reason).",
    )
    memo_params: dict[str, int | str] = Field(
        default_factory=dict,
        description="The ids the memo names (outcome_id, appointment_id, payout_id, charge_id, position…)",
    )
    created_at: UTCInstant

    @classmethod
    def of(cls, entry: Any) -> LedgerEntryOut:
        """The entry with its memo's code and ids (stored, else read back from an older sentence)."""
        memo = memo_of(entry.memo_code, entry.memo_params, entry.memo)
        fields = {name: getattr(entry, name) for name in cls.model_fields if not name.startswith("memo_")}
        return cls(**fields, memo_code=memo.code if memo else None, memo_params=dict(memo.params) if memo else {})


class LedgerQuery(PageQuery):
    closer_id: int | None = Field(None, description="Admins: one closer's entries (closers always see their own)")
    currency: CurrencyCode | None = None
