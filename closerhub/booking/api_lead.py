"""The lead in the API's appointment bodies: the business's lead for signed-in readers, and
"the prospect said" (``Appointment.prospect_said``), which is all an anonymous booking-key
caller ever gets back (issue 14: a stranger who knows a lead's email learns nothing more).
"""

from __future__ import annotations

from typing import Any

from closerhub.leads.cleaning import CONTEXT_FIELDS
from closerhub.leads.models import Lead


def lead_out(lead: Lead) -> dict[str, Any]:
    """The business's lead as its team and the closer read it."""
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone_e164,
        "timezone": lead.timezone,
        "context": {k: getattr(lead, k) or "" for k in CONTEXT_FIELDS},
    }


def said_lead_out(said: dict[str, str]) -> dict[str, Any]:
    """The lead as an anonymous caller sent it, and nothing else (no id: it was not sent either)."""
    return {
        "id": None,
        "name": said.get("name", ""),
        "email": said.get("email", ""),
        "phone": said.get("phone_e164"),
        "timezone": said.get("timezone", ""),
        "context": {k: said.get(k, "") for k in CONTEXT_FIELDS},
    }


def said_out(said: dict[str, str] | None) -> dict[str, Any] | None:
    """``prospect_said`` in the API's names (phone, context nested), only the fields the prospect gave."""
    if said is None:
        return None
    out: dict[str, Any] = {k: v for k, v in said.items() if k not in CONTEXT_FIELDS and k != "phone_e164"}
    if said.get("phone_e164"):
        out["phone"] = said["phone_e164"]
    out["context"] = {k: said[k] for k in CONTEXT_FIELDS if said.get(k)}
    return out


__all__ = ["lead_out", "said_lead_out", "said_out"]
