"""Typed commands: what a service is asked to do, with typed fields, built by a form or an API schema.

A service takes a command (a frozen dataclass subclassing ``Command``) instead of loose
``object`` or ``Mapping[str, Any]`` arguments. The command's fields carry their real types
(``str``, ``int | None``, ``tuple[str, ...]``, ``Money | None``): the form or the API
schema has already turned text and JSON into them, and the service checks the domain
rules (lengths, ranges, vocabularies, state).

A domain error names the offending inputs by the command's field names. Where a form
field or an API field is named differently, the command says so, in one place:
``form_names`` and ``api_names`` map a command field to the form's or the API's name.
Views and API routes translate through ``errors_for`` (or ``show_errors(form, exc, Cmd)``),
never with their own renaming tables.

A partial update (PATCH) says which fields were given with ``given``: the service changes
those and leaves the others as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar, Literal

from closerhub.core.errors import DomainError

Surface = Literal["form", "api"]


@dataclass(frozen=True)
class Command:
    """Base of the typed inputs of services."""

    #: command field -> form field, where they differ
    form_names: ClassVar[Mapping[str, str]] = {}
    #: command field -> API (JSON) field, where they differ (dotted for nested: ``context.needs``)
    api_names: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def field_name(cls, name: str, surface: Surface) -> str:
        """The name ``surface`` shows for the command field ``name`` (itself when not renamed)."""
        names = cls.form_names if surface == "form" else cls.api_names
        if name in names:
            return names[name]
        # a nested error (``guests.1.email``) is renamed by its first part
        head, dot, rest = name.partition(".")
        if dot and head in names:
            return f"{names[head]}.{rest}"
        return name

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def rename_errors(exc: DomainError, command: type[Command], surface: Surface) -> DomainError:
    """``exc`` with its field errors named as ``surface`` names them (the exception, changed in place)."""
    exc.field_errors = {command.field_name(k, surface): v for k, v in exc.field_errors.items()}
    return exc


@contextmanager
def errors_for(command: type[Command], surface: Surface) -> Iterator[None]:
    """Run a service call; a domain error leaving it names its fields as ``surface`` does."""
    try:
        yield
    except DomainError as exc:
        raise rename_errors(exc, command, surface) from None
