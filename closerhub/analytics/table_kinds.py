"""What an analytics table is made of: its columns, the table, the context it is built in,
and the labels of lost reasons and techniques."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.analytics.queries import Scope, Week


@dataclass(frozen=True)
class Column:
    """``kind``: text, label, int, rate (0–1), money, multiple, date, datetime."""

    key: str
    label: str
    kind: str = "int"


PAGE_ROWS = 50  # rows a table shows on the page; its CSV has them all


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    count: int | None = None  # when the rows are capped: how many there are in all

    @property
    def shown(self) -> list[dict[str, Any]]:
        """The rows the page lists (the first ``PAGE_ROWS``: the builders put the largest first)."""
        return self.rows[:PAGE_ROWS]

    @property
    def more(self) -> int:
        """How many rows only the CSV lists."""
        return max(0, len(self.rows) - PAGE_ROWS)


@dataclass(frozen=True)
class Context:
    """Who is looking, at what: the scope comes from the user, the weeks from the chosen range."""

    session: Session
    user: User
    scope: Scope
    weeks: list[Week]
    # Figures several tables of one request share (the weekly counts feed "weekly" and "summary").
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def zone(self) -> str:
        return self.user.timezone


def lost_reason_labels() -> dict[str | None, str]:
    return {
        "price": _("Price"),
        "timing": _("Timing"),
        "authority": _("Authority"),
        "need": _("Need"),
        "competitor": _("Competitor"),
        "trust": _("Trust"),
        "other": _("Other"),
        None: _("Not given"),
    }


def technique_labels() -> dict[str | None, str]:
    return {
        "assumptive": _("Assumptive"),
        "alternative_choice": _("Alternative choice"),
        "summary": _("Summary"),
        "direct_ask": _("Direct ask"),
        "trial_close": _("Trial close"),
        "other": _("Other"),
        None: _("Not recorded"),
    }
