"""Typed commands of accounts: opening one, the preferences, a new login email.

Built by the forms (``accounts.forms``) and the API routes (``api.views``); the services
(``accounts.service``) check the rules and name bad fields by these field names.
"""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.commands import Command


@dataclass(frozen=True)
class SignupData(Command):
    """What a person gives us to open an account."""

    email: str
    password: str
    name: str
    role: str
    timezone: str
    language: str = "en"
    business_name: str | None = None


@dataclass(frozen=True)
class Preferences(Command):
    """The display name, time zone and language, changed together."""

    name: str
    timezone: str
    language: str


@dataclass(frozen=True)
class EmailChange(Command):
    """A new login email, with the current password that allows it."""

    email: str
    password: str
