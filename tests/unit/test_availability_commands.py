"""The availability command names its errors for each surface, and the page's item forms place theirs.

``replace_availability`` names errors as ``build_rules`` does (``weekly[2].end``); the API shows
them dotted (``weekly.2.end``) through ``AvailabilityChange.field_name``; the page's "add a date"
and "add time off" forms show the errors of the item they add on their own fields
(``DayOverride`` / ``TimeOffPeriod`` ``form_names``), and those fields exist on the forms.
"""

from __future__ import annotations

import pytest
from wtforms import Form

from closerhub.closers.commands import AvailabilityChange, DayOverride, TimeOffPeriod, item_errors
from closerhub.closers.forms import OverrideForm, TimeOffForm
from closerhub.commands import errors_for
from closerhub.core.errors import ValidationError


@pytest.mark.parametrize(
    ("name", "api"),
    [
        ("weekly[2].end", "weekly.2.end"),
        ("overrides[0].intervals[1].start", "overrides.0.intervals.1.start"),
        ("time_off[12].reason", "time_off.12.reason"),
        ("slot_minutes", "slot_minutes"),
        ("timezone", "timezone"),
    ],
)
def test_the_api_names_items_with_dots_and_the_page_keeps_the_rules_names(name: str, api: str) -> None:
    assert AvailabilityChange.field_name(name, "api") == api
    assert AvailabilityChange.field_name(name, "form") == name


def test_errors_for_the_api_renames_every_field_of_the_error() -> None:
    errors = {"weekly[1].start": "Overlaps", "overrides[1].date": "Twice", "slot_minutes": "Range"}
    with pytest.raises(ValidationError) as raised, errors_for(AvailabilityChange, "api"):
        raise ValidationError("Bad", field_errors=errors)
    assert raised.value.field_errors == {
        "weekly.1.start": "Overlaps",
        "overrides.1.date": "Twice",
        "slot_minutes": "Range",
    }


def test_the_added_items_errors_go_to_its_form_fields_and_the_others_keep_their_path() -> None:
    exc = ValidationError(
        "Bad",
        field_errors={
            "overrides[2].date": "Twice",
            "overrides[2].intervals[1].end": "Overlaps",
            "overrides[2].intervals[5].end": "Odd",
            "overrides[0].date": "Elsewhere",
            "slot_minutes": "Range",
        },
    )
    assert item_errors(exc, "overrides[2]", DayOverride).field_errors == {
        "day": "Twice",
        "end2": "Overlaps",
        "overrides[2].intervals[5].end": "Odd",
        "overrides[0].date": "Elsewhere",
        "slot_minutes": "Range",
    }
    off = ValidationError("Bad", field_errors={"time_off[1].end": "Before", "time_off[1].reason": "Long"})
    assert item_errors(off, "time_off[1]", TimeOffPeriod).field_errors == {"last_day": "Before", "reason": "Long"}


@pytest.mark.parametrize(("command", "form"), [(DayOverride, OverrideForm), (TimeOffPeriod, TimeOffForm)])
def test_every_form_name_of_an_item_is_a_field_of_its_form(
    command: type[DayOverride | TimeOffPeriod], form: type[Form]
) -> None:
    on_form = {name for name in dir(form) if hasattr(getattr(form, name), "field_class")}
    assert set(command.form_names.values()) <= on_form
