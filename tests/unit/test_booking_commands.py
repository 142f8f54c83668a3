"""How a booking's and a lead's domain errors are named on each surface: in one place, the commands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from closerhub.booking.commands import BookingRequest, nested_in
from closerhub.commands import errors_for, rename_errors
from closerhub.core.errors import ValidationError
from closerhub.leads.commands import CONTEXT_FIELDS, LeadDetails


@pytest.mark.parametrize(
    ("name", "api", "form"),
    [
        ("lead.email", "lead.email", "email"),
        ("lead.phone", "lead.phone", "phone"),
        ("lead.needs", "lead.context.needs", "needs"),
        ("lead.decision_makers", "lead.context.decision_makers", "decision_makers"),
        ("start", "start", "start"),
        ("guests[1].email", "guests[1].email", "guests[1].email"),
        ("lead_id", "lead_id", "lead_id"),
    ],
)
def test_a_booking_error_is_named_per_surface(name: str, api: str, form: str) -> None:
    assert BookingRequest.field_name(name, "api") == api
    assert BookingRequest.field_name(name, "form") == form


def test_the_api_nests_every_context_field_of_a_lead_and_nothing_else() -> None:
    assert {LeadDetails.field_name(f, "api") for f in CONTEXT_FIELDS} == {f"context.{f}" for f in CONTEXT_FIELDS}
    for name in ("name", "email", "phone", "timezone", "language", "source"):
        assert LeadDetails.field_name(name, "api") == LeadDetails.field_name(name, "form") == name


def test_a_nested_check_names_its_errors_by_their_path_and_the_api_reads_that_path_nested() -> None:
    error = ValidationError("Too long", field_errors={"budget": "At most 200 characters.", "email": "Bad"})
    with pytest.raises(ValidationError) as caught, errors_for(BookingRequest, "api"), nested_in("lead"):
        raise error
    assert caught.value.field_errors == {"lead.context.budget": "At most 200 characters.", "lead.email": "Bad"}
    again = ValidationError("Bad", field_errors={"lead.email": "Bad", "channel": "Choose"})
    assert rename_errors(again, BookingRequest, "form").field_errors == {"email": "Bad", "channel": "Choose"}


def test_lead_details_from_text_take_only_the_known_fields_and_a_partial_one_wants_only_what_it_was_given() -> None:
    details = LeadDetails.from_text({"name": "Ada", "needs": "More", "given": "x", "surprise": "y"})
    assert (details.name, details.needs, details.given, details.email) == ("Ada", "More", None, "")
    assert details.wants("email") and not details.language_given
    patch = LeadDetails(notes="hi", given=frozenset({"notes"}))
    assert patch.wants("notes") and not patch.wants("name") and patch.full().wants("name")


def test_a_booking_request_knows_its_lead_details() -> None:
    start = datetime(2026, 6, 2, 7, tzinfo=UTC)
    details = LeadDetails(name="Ada", email="ada@example.com", timezone="UTC", language="fr")
    request = BookingRequest(start=start, channel="video", lead=details)
    assert request.lead_details is details and details.language_given
    assert request.guests == () and dict(request.answers) == {}
