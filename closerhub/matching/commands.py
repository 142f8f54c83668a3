"""The closer search's command: a business's filters, as the search form and the API query give them.

The form takes the highest rate as a percentage (``max_rate``); the API and the service take
basis points (``max_rate_bps``): ``form_names`` says so, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from closerhub.commands import Command


@dataclass(frozen=True)
class CloserSearch(Command):
    """Every filter is optional (None or blank text: not filtered); ``clean_query`` checks them all at once."""

    language: str | None = None
    industry: str | None = None
    max_rate_bps: int | None = None
    prospect_timezone: str | None = None
    available_within_days: int | None = None
    q: str | None = None
    min_rating: float | None = None  # average stars, 1–5

    form_names: ClassVar[Mapping[str, str]] = {"max_rate_bps": "max_rate"}
