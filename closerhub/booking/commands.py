"""The typed input of a booking: what the booking page, the signed-in pages, the API and the demo ask for.

``BookingRequest`` is what ``service.book`` is asked to book (when, how, with whom, for which
prospect); the offer, who asks and the clock come beside it. Its ``lead`` is an existing
``Lead`` or the prospect's ``LeadDetails`` (a nested command): the service names an error
on those details by its path, ``lead.email``, and each surface reads the path its own way,
in one place (``BookingRequest.field_name``): the API nests the context (``lead.context.needs``),
the prospect's form has the lead's fields at its top level (``email``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from closerhub.commands import Command, Surface
from closerhub.core.errors import DomainError
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead


@dataclass(frozen=True)
class Guest:
    """A person the prospect invites to their call, as given (cleaned by ``guests.clean_guests``)."""

    name: str
    email: str


@dataclass(frozen=True)
class BookingRequest(Command):
    """A call to book: its ``start`` (aware), ``channel`` (``phone`` / ``video``), the prospect, and
    optionally a named closer or engagement (else routing picks), the answers to the offer's
    questions (question → answer) and the guests."""

    #: command fields holding a nested command: their errors are named ``<field>.<its field>``
    nested: ClassVar[Mapping[str, type[Command]]] = {"lead": LeadDetails}
    #: where each surface puts a nested command's fields: the API under the field, the form at its top
    _NESTED_PREFIX: ClassVar[Mapping[Surface, str]] = {"api": "{field}.", "form": ""}

    start: datetime
    channel: str
    lead: Lead | LeadDetails
    closer_id: int | None = None
    engagement_id: int | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    guests: tuple[Guest, ...] = ()

    @classmethod
    def field_name(cls, name: str, surface: Surface) -> str:
        head, dot, rest = name.partition(".")
        if dot and head in cls.nested:
            prefix = cls._NESTED_PREFIX[surface].format(field=head)
            return prefix + cls.nested[head].field_name(rest, surface)
        return super().field_name(name, surface)

    @property
    def lead_details(self) -> LeadDetails | None:
        """The prospect's details when given (``None`` for an existing lead)."""
        return self.lead if isinstance(self.lead, LeadDetails) else None


@contextmanager
def nested_in(field_name: str) -> Iterator[None]:
    """Check a nested command: its errors leave named by their path under ``field_name`` (``lead.email``)."""
    try:
        yield
    except DomainError as exc:
        exc.field_errors = {f"{field_name}.{k}": v for k, v in exc.field_errors.items()}
        raise
