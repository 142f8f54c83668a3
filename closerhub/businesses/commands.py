"""Typed commands of businesses: the profile (with its brand), the change policy, an offer, the team.

Built by the forms (``businesses.forms``) and the API routes (``businesses.api``) from what
they read; the services (``service``, ``change_policy``, ``offers``, ``team``) check the rules.
Field names are the services' error names; ``api_names`` says where the API differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from closerhub.commands import Command
from closerhub.core.money import Money

DEFAULT_CALL_MINUTES = 60
DEFAULT_START_INCREMENT = 60  # the calls follow each other, as a closer's own slots


@dataclass(frozen=True)
class BusinessSettings(Command):
    """The whole profile of a business, brand included (a save replaces it: an omitted optional field is cleared).

    The lists are as typed: codes and zones are checked, folded and deduplicated by the service.
    """

    name: str
    timezone: str
    currency: str
    website: str | None = None
    industry: str | None = None
    prospect_languages: tuple[str, ...] = ()
    prospect_timezones: tuple[str, ...] = ()
    brand_color: str | None = None
    logo_url: str | None = None
    embed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangePolicy(Command):
    """How booked calls of a business may be moved or cancelled."""

    change_notice_minutes: int
    change_reason_required: bool
    max_reschedules: int


@dataclass(frozen=True)
class OfferData(Command):
    """What a member edits on an offer (the service checks it).

    ``price`` is None when the form could not read it, ``call_minutes`` and
    ``start_increment_minutes`` when it could not read a number: the service then
    reports that field with the others.
    """

    api_names: ClassVar[dict[str, str]] = {"is_active": "active"}

    name: str = ""
    price: Money | None = None
    description: str = ""
    sales_cycle_days: int | None = None
    closing_script: str = ""
    qualification_notes: str = ""
    booking_questions: tuple[str, ...] = ()
    is_active: bool = True
    calls_recorded: bool = False
    call_minutes: int | None = DEFAULT_CALL_MINUTES
    start_increment_minutes: int | None = DEFAULT_START_INCREMENT


@dataclass(frozen=True)
class Invitation(Command):
    """The owner invites a colleague: their address and the email's language."""

    email: str
    language: str


@dataclass(frozen=True)
class JoinTeam(Command):
    """The invitee opens their account (the email is the invitation's)."""

    name: str
    password: str
    timezone: str
    language: str
