"""The commands of engagements, closer profiles, search, vetting and settings name their errors on the forms.

A service names an error by the command's field; the form shows it on the field
``Command.field_name(name, "form")``. These tests hold each mapping to the form it serves, so
a renamed form field cannot leave an error with no field to sit on.
"""

from __future__ import annotations

import pytest
from wtforms import Form

from closerhub.admin.forms import VettingForm, settings_form_class
from closerhub.closers.commands import ProfileData
from closerhub.closers.forms import ProfileForm
from closerhub.commands import Command
from closerhub.engagements.commands import Proposal, RateChange
from closerhub.engagements.forms import ProposeForm, RateForm
from closerhub.matching import views as search_page
from closerhub.matching.commands import CloserSearch
from closerhub.platform_settings.commands import SettingsChange
from closerhub.platform_settings.service import SPECS
from closerhub.vetting.commands import VettingDecision

# Command fields that are not on the form: the URL gives them, or a button, or the error is the form's own.
NOT_ON_THE_FORM = {
    Proposal: {"closer_id"},
    VettingDecision: {"decision", "ticked"},
}


@pytest.mark.parametrize(
    ("command", "form"),
    [
        (Proposal, ProposeForm),
        (RateChange, RateForm),
        (ProfileData, ProfileForm),
        (VettingDecision, VettingForm),
    ],
)
def test_every_field_of_the_command_has_its_form_field(command: type[Command], form: type[Form]) -> None:
    on_form = {name for name in dir(form) if hasattr(getattr(form, name), "field_class")}
    expected = set(command.field_names()) - NOT_ON_THE_FORM.get(command, set())
    assert {command.field_name(name, "form") for name in expected} <= on_form


def test_the_rates_typed_as_percentages_are_renamed_and_nothing_else() -> None:
    assert Proposal.field_name("commission_rate_bps", "form") == "rate_percent"
    assert RateChange.field_name("commission_rate_bps", "form") == "rate_percent"
    assert ProfileData.field_name("min_rate_bps", "form") == "min_rate_percent"
    assert CloserSearch.field_name("max_rate_bps", "form") == "max_rate"
    for command in (Proposal, RateChange, ProfileData, CloserSearch):
        assert command.field_name("commission_rate_bps", "api") == "commission_rate_bps"
        assert command.field_name("offer_id", "form") == "offer_id"


def test_the_search_page_reads_every_filter_of_the_command_under_its_form_name() -> None:
    assert {CloserSearch.field_name(name, "form") for name in CloserSearch.field_names()} == set(search_page.FILTERS)


def test_the_settings_command_and_page_have_one_field_per_setting() -> None:
    assert set(SettingsChange.field_names()) == set(SPECS)
    page = settings_form_class()
    assert all(hasattr(page, key) for key in SPECS)
    assert SettingsChange(clawback_days=10, payout_weekday=0).given() == {"clawback_days": 10, "payout_weekday": 0}
