"""The OpenAPI document states the limits, formats and media types the app enforces.

The schemathesis run (test_api_schema_fuzz.py) finds any disagreement by generating requests;
these tests pin the ones the API's users asked about, with the app's own constants.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema_rs import Draft202012Validator  # schemathesis' own validator

from closerhub.api.schema_docs import REQUIRED_TEXT_PATTERN, TEXT_PATTERN
from closerhub.booking.changes.service import REASON_MAX as CHANGE_REASON_MAX
from closerhub.core.money import known_currencies
from closerhub.core.tz import all_zones
from closerhub.leads.cleaning import BUDGET_MAX, CONTEXT_TEXT_MAX, NAME_MAX, SOURCE_MAX
from closerhub.payments.charges.refunds import REASON_MAX as REFUND_REASON_MAX
from closerhub.payments.payouts.details import BANK_NAME_MAX, HOLDER_MAX, bank_countries
from tests.integration.test_api_accounts import bearer
from tests.integration.test_payout_details import OTHER_FORM, SEPA_FORM, UK_FORM, US_FORM


def _document(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _string_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The string alternative of an optional field (``anyOf: [string, null]``), or the schema itself."""
    return next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)


def test_the_lead_context_fields_are_documented_with_the_lengths_the_service_enforces(client: FlaskClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    context = schemas["LeadContextIn"]["properties"]
    for name in ("needs", "motivations", "blockers", "decision_makers", "notes"):
        assert _string_branch(context[name])["maxLength"] == CONTEXT_TEXT_MAX, name
    assert _string_branch(context["budget"])["maxLength"] == BUDGET_MAX
    lead = schemas["LeadIn"]["properties"]
    assert lead["name"]["maxLength"] == NAME_MAX and lead["name"]["minLength"] == 1
    assert _string_branch(lead["source"])["maxLength"] == SOURCE_MAX
    assert lead["email"]["format"] == "email"
    assert lead["timezone"]["$ref"] == "#/components/schemas/TimeZoneName"


def test_from_and_to_of_the_appointment_list_are_documented_as_a_date_or_an_instant(client: FlaskClient) -> None:
    operation = _document(client)["paths"]["/api/v1/appointments"]["get"]
    for name in ("from", "to"):
        parameter = next(p for p in operation["parameters"] if p["name"] == name)
        formats = {s.get("format") for s in parameter["schema"]["anyOf"] if s.get("type") != "null"}
        assert formats == {"date", "date-time"}, parameter


def test_the_ics_invite_is_documented_as_text_calendar(client: FlaskClient) -> None:
    operation = _document(client)["paths"]["/api/v1/appointments/{appointment_id}.ics"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/calendar"]


def test_the_csv_import_documents_its_csv_body_and_its_422(client: FlaskClient) -> None:
    operation = _document(client)["paths"]["/api/v1/leads/import"]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert "422" in operation["responses"]


def test_time_zones_and_currencies_are_documented_as_the_lists_the_app_accepts(client: FlaskClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    assert set(schemas["TimeZoneName"]["enum"]) == all_zones()
    assert set(schemas["CurrencyCode"]["enum"]) == known_currencies()
    assert schemas["BusinessIn"]["properties"]["currency"]["$ref"] == "#/components/schemas/CurrencyCode"


def test_every_operation_that_reads_the_database_documents_the_busy_503(client: FlaskClient) -> None:
    paths = _document(client)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if path != "/api/v1/openapi.json":
                assert "503" in operation["responses"], f"{method.upper()} {path}"
    assert "503" not in paths["/api/v1/openapi.json"]["get"]["responses"]


def test_the_idempotency_key_is_documented_as_visible_ascii(client: FlaskClient) -> None:
    operation = _document(client)["paths"]["/api/v1/leads"]["post"]
    key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
    booking = _document(client)["paths"]["/api/v1/appointments"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in booking["parameters"]}  # the view applies it itself


def _payout_body_validator(document: dict[str, Any]) -> Draft202012Validator:
    """The document's payout details body as a JSON Schema validator (its references resolved in the document)."""
    schema = {"$ref": "#/components/schemas/PayoutDetailsIn", "components": document["components"]}
    return Draft202012Validator(schema)


def test_the_payout_details_body_is_documented_as_one_closed_object_per_scheme_with_its_required_fields(
    client: FlaskClient,
) -> None:
    schemas = _document(client)["components"]["schemas"]
    branches = {b["properties"]["scheme"]["const"]: b for b in schemas["PayoutDetailsIn"]["oneOf"]}
    assert {name: set(b["required"]) for name, b in branches.items()} == {
        "iban": {"scheme", "holder", "iban"},
        "us": {"scheme", "holder", "routing_number", "account_number"},
        "uk": {"scheme", "holder", "sort_code", "account_number"},
        "other": {"scheme", "holder", "account_number", "bank_name", "bic", "country"},
    }
    assert all(b["additionalProperties"] is False for b in branches.values())
    assert all(b["properties"]["holder"]["maxLength"] == HOLDER_MAX for b in branches.values())
    assert branches["iban"]["properties"]["iban"]["format"] == "iban"
    assert branches["us"]["properties"]["routing_number"]["format"] == "aba-routing-number"
    assert branches["other"]["properties"]["bank_name"]["maxLength"] == BANK_NAME_MAX
    assert branches["other"]["properties"]["country"]["$ref"] == "#/components/schemas/BankCountry"
    assert set(schemas["BankCountry"]["enum"]) == bank_countries()


@pytest.mark.parametrize("form", [SEPA_FORM, US_FORM, UK_FORM, OTHER_FORM], ids=lambda f: f["scheme"])
def test_a_payout_details_body_the_document_accepts_is_saved_and_one_missing_a_required_field_is_refused_by_both(
    client: FlaskClient, closer: Any, form: dict[str, str]
) -> None:
    validator = _payout_body_validator(_document(client))
    url, headers = "/api/v1/closers/me/payout-details", bearer(closer)
    required = {"iban": "iban", "us": "routing_number", "uk": "sort_code", "other": "country"}[form["scheme"]]
    incomplete = {k: v for k, v in form.items() if k != required}
    assert not validator.is_valid(incomplete)
    refused = client.put(url, headers=headers, json=incomplete)
    assert refused.status_code == 422 and required in {e["field"] for e in refused.get_json()["errors"]}
    assert validator.is_valid(form), list(validator.iter_errors(form))
    saved = client.put(url, headers=headers, json=form)
    assert saved.status_code == 200, saved.get_data(as_text=True)


def test_reading_payout_details_documents_its_404_and_replacing_them_its_stripe_mode_409(client: FlaskClient) -> None:
    item = _document(client)["paths"]["/api/v1/closers/me/payout-details"]
    assert "404" in item["get"]["responses"] and "409" in item["put"]["responses"]


def test_only_the_closer_hands_a_call_back_as_documented_with_a_required_reason_of_the_service_length(
    client: FlaskClient, admin_user: Any, business_user: Any
) -> None:
    document = _document(client)
    operation = document["paths"]["/api/v1/appointments/{appointment_id}/hand-back"]["post"]
    assert operation["x-roles"] == ["closer"] and "403" in operation["responses"]
    reason = document["components"]["schemas"]["HandBackIn"]["properties"]["reason"]
    assert reason["maxLength"] == CHANGE_REASON_MAX and reason["pattern"] == REQUIRED_TEXT_PATTERN
    for user in (admin_user, business_user):  # refused before looking the call up
        answer = client.post("/api/v1/appointments/1/hand-back", json={"reason": "x"}, headers=bearer(user))
        assert answer.status_code == 403 and answer.mimetype == "application/problem+json"


def test_a_manual_return_documents_its_reason_limit_and_its_answers(client: FlaskClient) -> None:
    document = _document(client)
    operation = document["paths"]["/api/v1/charges/{charge_id}/manual-returns"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(operation["responses"])
    reason = document["components"]["schemas"]["ManualReturnIn"]["properties"]["reason"]
    assert reason["maxLength"] == REFUND_REASON_MAX and reason["pattern"] == TEXT_PATTERN


def test_the_docs_page_lists_each_payout_scheme_s_fields(client: FlaskClient) -> None:
    html = client.get("/api/docs").get_data(as_text=True)
    section = html.split("/api/v1/closers/me/payout-details", 1)[1]
    assert all(name in section for name in ("routing_number", "sort_code", "bank_name", "iban"))


def test_the_reason_and_message_of_a_cancel_or_reschedule_are_documented_with_the_service_length(
    client: FlaskClient,
) -> None:
    schemas = _document(client)["components"]["schemas"]
    for model in ("CancelIn", "RescheduleIn"):
        for name in ("reason", "message_to_prospect"):
            text = _string_branch(schemas[model]["properties"][name])
            assert text["maxLength"] == CHANGE_REASON_MAX and text["pattern"] == TEXT_PATTERN, (model, name)
