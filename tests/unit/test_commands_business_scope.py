"""The commands of businesses, accounts, webhooks and calendars are frozen, typed ``Command`` dataclasses.

No field is ``object`` or ``Any``: the form or the API schema has turned text and JSON into
real types before a service sees them (``closerhub/commands.py``).
"""

from __future__ import annotations

import dataclasses
import typing
from types import ModuleType

import pytest

from closerhub.accounts import commands as accounts
from closerhub.businesses import commands as businesses
from closerhub.calendars import commands as calendars
from closerhub.commands import Command
from closerhub.core.money import Money
from closerhub.webhooks import commands as webhooks

MODULES = (accounts, businesses, calendars, webhooks)


def _commands(module: ModuleType) -> list[type[Command]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Command) and value is not Command
    ]


def _loose(annotation: object) -> bool:
    if annotation in (object, typing.Any):
        return True
    return any(_loose(arg) for arg in typing.get_args(annotation))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_command_is_frozen_and_has_no_loose_field(module: ModuleType) -> None:
    found = _commands(module)
    assert found, f"no command in {module.__name__}"
    for command in found:
        assert command.__dataclass_params__.frozen, command  # type: ignore[attr-defined]
        namespace = {**vars(typing), **vars(module), "Money": Money}
        loose = [f.name for f in dataclasses.fields(command) if _loose(eval(str(f.type), namespace))]  # noqa: S307
        assert loose == [], f"{command.__name__}: {loose}"


def test_the_offer_command_names_its_active_flag_as_the_api_does() -> None:
    assert businesses.OfferData.field_name("is_active", "api") == "active"
    assert businesses.OfferData.field_name("is_active", "form") == "is_active"
    assert businesses.OfferData.field_name("price", "api") == "price"
