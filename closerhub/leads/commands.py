"""The typed input of the lead use cases: a lead's details as a form, a CSV row or the API give them.

``LeadDetails`` carries text as typed (not yet cleaned); ``leads.cleaning.clean_lead_details``
checks and normalises it. The API nests the context fields under ``context``
(``context.needs``): that is ``LeadDetails.api_names``, so a domain error on ``needs``
reads ``context.needs`` in an API problem and ``needs`` on the form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from closerhub.commands import Command

# The context the closer reads before the call; the API nests these under "context".
CONTEXT_FIELDS: tuple[str, ...] = ("needs", "motivations", "blockers", "budget", "decision_makers", "notes")


@dataclass(frozen=True)
class LeadDetails(Command):
    """Who the prospect is and what the closer needs to know, as given (cleaned by the service).

    ``name``, ``email`` and ``timezone`` are the lead's identity (blank is refused); the other
    fields are optional (``None`` or blank: none). ``language`` ``None`` or blank means not
    given (a new lead gets ``en``; a known lead keeps its own on an upsert). ``given``: the
    fields a partial update (PATCH) sent; ``None`` means every field (a full form replaces
    them all, a blank optional field clearing its value).
    """

    api_names: ClassVar[Mapping[str, str]] = {name: f"context.{name}" for name in CONTEXT_FIELDS}

    name: str = ""
    email: str = ""
    phone: str | None = None
    timezone: str = ""
    language: str | None = None
    source: str | None = None
    needs: str | None = None
    motivations: str | None = None
    blockers: str | None = None
    budget: str | None = None
    decision_makers: str | None = None
    notes: str | None = None
    given: frozenset[str] | None = None

    @classmethod
    def from_text(cls, fields: Mapping[str, str]) -> LeadDetails:
        """Every field from text by its name (a form's fields, a CSV row's cells); one left out is blank."""
        known: dict[str, Any] = {name: value for name, value in fields.items() if name in _TEXT_FIELDS}
        return cls(**known)

    def wants(self, field: str) -> bool:
        """Whether ``field`` is to be checked and written (every field, or those a PATCH sent)."""
        return self.given is None or field in self.given

    def full(self) -> LeadDetails:
        """These details as a whole lead (every field checked: a creation)."""
        return dataclasses.replace(self, given=None)

    @property
    def language_given(self) -> bool:
        """A language was said (its cleaned default ``en`` is not something the caller said)."""
        return self.language not in (None, "")


_TEXT_FIELDS = frozenset(name for name in LeadDetails.field_names() if name != "given")
