"""Where a closer wants manual-mode payouts sent: bank details, sealed at rest.

One row per closer. The clear details (IBAN, account numbers, …) exist only inside
``sealed`` (a Fernet token from ``closerhub.secrets_box.seal`` of their JSON); ``display``
holds what may be shown (holder, bank identifier, account masked to its last four
characters), so pages never need to decrypt.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class Scheme(enum.StrEnum):
    IBAN = "iban"  # SEPA countries: IBAN + BIC
    US = "us"  # ABA routing number + account number
    UK = "uk"  # sort code + account number
    OTHER = "other"  # account holder, bank name, account number, SWIFT/BIC


class PayoutDetails(Model):
    """A closer's bank details for manual payouts (sealed), with a masked display form."""

    __tablename__ = "payout_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    scheme: Mapped[Scheme] = mapped_column(str_enum(Scheme, "payout_details_scheme"))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2 of the account
    sealed: Mapped[str] = mapped_column(Text)  # seal(json of the clear details): never shown, never logged
    display: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # masked: safe to show
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # never the sealed value
        return f"<PayoutDetails closer={self.closer_id} {self.scheme.value} {self.country}>"
