"""``PlatformSetting``: a key/value row overriding the environment's default for one setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime
from closerhub.extensions import Model


class PlatformSetting(Model):
    """One setting's value, set by an admin. No row: the environment/config default applies."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)  # JSON keeps the table generic; ``service`` validates per key
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Not a foreign key: who changed it is in the audit trail; this is a convenience for the page.
    updated_by_id: Mapped[int | None] = mapped_column(Integer)
