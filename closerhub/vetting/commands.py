"""Vetting's command: an admin's decision on a closer (the review page's form)."""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.commands import Command


@dataclass(frozen=True)
class VettingDecision(Command):
    """``decision`` is ``approve``, ``request_changes`` or ``reject`` (the button pressed; ``decide`` checks it).

    ``ticked`` names the checklist items done (``vetting.models.CHECKLIST``); ``reason`` is
    read by the closer, ``notes`` by admins only.
    """

    decision: str
    reason: str = ""
    notes: str = ""
    ticked: frozenset[str] = frozenset()
