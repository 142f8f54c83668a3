"""The OpenAPI document states the limits, formats and media types the app enforces.

The schemathesis run (test_api_schema_fuzz.py) finds any disagreement by generating requests;
these tests pin the ones the API's users asked about, with the app's own constants.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from closerhub.booking.leads import BUDGET_MAX, CONTEXT_TEXT_MAX, NAME_MAX, SOURCE_MAX
from closerhub.core.money import known_currencies
from closerhub.core.tz import all_zones


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
