"""Typed commands of webhooks: a new endpoint, as the Integrations form or the API gives it."""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.commands import Command


@dataclass(frozen=True)
class NewEndpoint(Command):
    """Where to POST events, which event types, and the owner's note (checked by ``clean_endpoint_input``)."""

    url: str
    events: tuple[str, ...]
    description: str = ""
