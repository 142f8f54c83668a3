"""Engagement use cases: propose, accept, decline, withdraw, end, change the rate; and the booking gate.

One import for callers; the code lives in cohesive parts:

- ``proposals``: propose (the closer, the offer and the rate checked together; one open
  engagement per closer and offer);
- ``lifecycle``: read one, accept, decline, withdraw, end;
- ``rate_changes``: a new rate is a new proposal replacing the current engagement;
- ``terms``: the rate (10–20 %, the closer's minimum) and the basis; ``history``: the audit
  row and webhook of each transition; ``gate``: what booking requires.

Each use case takes the session, the acting user, a command (``engagements.commands``) or
typed arguments, checks in this order — visibility (404), role (403), state (409), input
(422); a proposal checks its input before the duplicate (409) — changes nothing on any
error, and commits once. Every transition emails both sides (the closer and each member of
the business), each in their own language (``emails``).
"""

from __future__ import annotations

from closerhub.engagements.commands import Proposal, RateChange
from closerhub.engagements.gate import check_active_engagement, require_active_engagement
from closerhub.engagements.lifecycle import REASON_MAX, accept, decline, end, find_engagement, withdraw
from closerhub.engagements.proposals import propose
from closerhub.engagements.queries import engagements_query, open_engagements
from closerhub.engagements.rate_changes import change_rate
from closerhub.engagements.terms import clean_basis, clean_rate, percent_label

__all__ = [
    "REASON_MAX",
    "Proposal",
    "RateChange",
    "accept",
    "change_rate",
    "check_active_engagement",
    "clean_basis",
    "clean_rate",
    "decline",
    "end",
    "engagements_query",
    "find_engagement",
    "open_engagements",
    "percent_label",
    "propose",
    "require_active_engagement",
    "withdraw",
]
