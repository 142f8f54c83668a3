"""Leads through the JSON API: create, list, read, change; tenancy, field errors, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from tests.conftest import UserFactory
from tests.integration.test_api_accounts import bearer, error_fields
from tests.integration.test_leads import add_appointment, add_lead, lead_rows

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def lead_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Paula Prospect",
        "email": "Paula@Example.com",
        "phone": "+1 212 555 0123",
        "timezone": "America/New_York",
        "language": "en",
        "source": "funnel",
        "context": {"needs": "Scale to 50k/month", "budget": "5k USD", "decision_makers": "Her partner"},
    }
    body.update(overrides)
    return body


def test_a_business_creates_a_lead_and_reads_it_back(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    created = client.post("/api/v1/leads", json=lead_body(), headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["email"] == "paula@example.com" and data["phone"] == "+12125550123"
    assert data["business_id"] == business_user.business_id and data["created_at"].endswith("Z")
    assert data["context"] == {
        "needs": "Scale to 50k/month",
        "motivations": "",
        "blockers": "",
        "budget": "5k USD",
        "decision_makers": "Her partner",
        "notes": "",
    }
    got = client.get(f"/api/v1/leads/{data['id']}", headers=headers)
    assert got.status_code == 200 and got.get_json() == data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "0612345678"}, "phone", "starting with + and the country code"),
        ({"phone": "+33 12345"}, "phone", "This is not a valid phone number"),
        ({"timezone": "Paris"}, "timezone", "Unknown time zone"),
        ({"email": "nope"}, "email", "Enter a valid email address."),
        ({"name": "   "}, "name", "This field is required."),
        ({"language": "de"}, "language", ""),
        ({"context": {"budget": "x" * 201}}, "context.budget", "At most 200 characters."),
        ({"context": {"mood": "great"}}, "context.mood", "Unknown field."),
        ({"context": "warm"}, "context", ""),
        ({"phone": 33612345678}, "phone", "Expected a string."),
        ({"source": 42}, "source", "Expected a string."),  # was the service's "Expected text."
        ({"surprise": 1}, "surprise", "Unknown field."),
    ],
)
def test_bad_lead_input_is_a_422_naming_the_field_and_nothing_is_saved(
    client: FlaskClient, business_user: User, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/api/v1/leads", json=lead_body(**overrides), headers=bearer(business_user))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert field in errors and message in errors[field]
    assert lead_rows() == []


def test_every_bad_field_is_named_at_once(client: FlaskClient, business_user: User) -> None:
    body = lead_body(phone="12", timezone="Nowhere", email="x")
    response = client.post("/api/v1/leads", json=body, headers=bearer(business_user))
    assert response.status_code == 422 and error_fields(response) == {"phone", "timezone", "email"}


def test_a_known_email_is_a_409_and_the_lead_is_unchanged(client: FlaskClient, business_user: User) -> None:
    add_lead(business_user, email="paula@example.com")
    before = lead_rows()
    response = client.post("/api/v1/leads", json=lead_body(name="Twin"), headers=bearer(business_user))
    assert response.status_code == 409 and response.get_json()["code"] == "lead_exists"
    assert error_fields(response) == {"email"}
    assert lead_rows() == before


def test_an_idempotency_key_replays_the_creation_and_refuses_another_body(
    client: FlaskClient, business_user: User
) -> None:
    headers = {**bearer(business_user), "Idempotency-Key": "lead-1"}
    first = client.post("/api/v1/leads", json=lead_body(), headers=headers)
    again = client.post("/api/v1/leads", json=lead_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/leads", json=lead_body(email="other@example.com"), headers=headers)
    assert other.status_code == 409
    assert [r[3] for r in lead_rows()] == ["paula@example.com"]


def test_another_business_lead_is_a_404_for_reading_and_changing(
    client: FlaskClient, business_user: User, make_user: UserFactory
) -> None:
    lead = add_lead(business_user)
    outsider = bearer(make_user("business"))
    assert client.get(f"/api/v1/leads/{lead.id}", headers=outsider).status_code == 404
    patched = client.patch(f"/api/v1/leads/{lead.id}", json={"name": "Hijack"}, headers=outsider)
    assert patched.status_code == 404 and patched.mimetype == "application/problem+json"
    assert client.get("/api/v1/leads", headers=outsider).get_json()["data"] == []
    assert client.get("/api/v1/leads/999999", headers=bearer(business_user)).status_code == 404
    assert lead_rows()[0][2] == "Paula Prospect"


def test_a_closer_reads_a_lead_only_when_they_have_a_call_with_it(
    client: FlaskClient, business_user: User, closer: User
) -> None:
    lead = add_lead(business_user)
    headers = bearer(closer)
    assert client.get(f"/api/v1/leads/{lead.id}", headers=headers).status_code == 404
    add_appointment(business_user, closer, lead, NOW + timedelta(days=1))
    assert client.get(f"/api/v1/leads/{lead.id}", headers=headers).get_json()["id"] == lead.id
    assert client.get("/api/v1/leads", headers=headers).status_code == 403
    assert client.post("/api/v1/leads", json=lead_body(email="c@example.com"), headers=headers).status_code == 403
    patched = client.patch(f"/api/v1/leads/{lead.id}", json={"name": "Mine"}, headers=headers)
    assert patched.status_code == 403


def test_patch_changes_only_the_given_fields_and_null_clears_an_optional_one(
    client: FlaskClient, business_user: User
) -> None:
    lead = add_lead(business_user)
    response = client.patch(
        f"/api/v1/leads/{lead.id}",
        json={"timezone": "Europe/Paris", "phone": None, "context": {"notes": "Call after 6pm"}},
        headers=bearer(business_user),
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["name"], data["timezone"], data["phone"]) == ("Paula Prospect", "Europe/Paris", None)
    assert data["context"]["notes"] == "Call after 6pm" and data["context"]["needs"] == "Scale to 50k/month"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "555"}, "phone"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"name": None}, "name"),
        ({"context": {"needs": 5}}, "context.needs"),
        ({}, None),
    ],
)
def test_a_bad_patch_is_a_422_and_changes_nothing(
    client: FlaskClient, business_user: User, body: dict[str, Any], field: str | None
) -> None:
    lead = add_lead(business_user)
    before = lead_rows()
    response = client.patch(f"/api/v1/leads/{lead.id}", json=body, headers=bearer(business_user))
    if field is None:  # an empty object changes nothing and is fine
        assert response.status_code == 200
    else:
        assert response.status_code == 422 and field in error_fields(response)
    assert lead_rows() == before


def test_patching_to_the_email_of_another_lead_is_a_409(client: FlaskClient, business_user: User) -> None:
    add_lead(business_user)
    bob = add_lead(business_user, email="bob@example.com", name="Bob")
    response = client.patch(
        f"/api/v1/leads/{bob.id}", json={"email": "PAULA@example.com"}, headers=bearer(business_user)
    )
    assert response.status_code == 409 and error_fields(response) == {"email"}


def test_the_list_is_newest_first_with_cursor_pages_and_search(client: FlaskClient, business_user: User) -> None:
    for i in range(5):
        with clock.frozen_at(NOW + timedelta(minutes=i)):
            leads.create_lead(
                db.session,
                business_user,
                LeadDetails(name=f"Lead {i}", email=f"lead{i}@example.com", timezone="UTC"),
                now=clock.utcnow(),
            )
    headers = bearer(business_user)
    first = client.get("/api/v1/leads?limit=2", headers=headers).get_json()
    assert [d["name"] for d in first["data"]] == ["Lead 4", "Lead 3"] and first["next_cursor"]
    second = client.get(f"/api/v1/leads?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    third = client.get(f"/api/v1/leads?limit=2&cursor={second['next_cursor']}", headers=headers).get_json()
    assert [d["name"] for d in second["data"] + third["data"]] == ["Lead 2", "Lead 1", "Lead 0"]
    assert third["next_cursor"] is None
    found = client.get("/api/v1/leads?q=LEAD3", headers=headers).get_json()
    assert [d["email"] for d in found["data"]] == ["lead3@example.com"]
    assert client.get("/api/v1/leads?cursor=forged", headers=headers).status_code == 422
    assert client.get("/api/v1/leads?limit=0", headers=headers).status_code == 422


def test_html_in_a_lead_is_escaped_in_the_json(client: FlaskClient, business_user: User) -> None:
    response = client.post("/api/v1/leads", json=lead_body(name="<script>x</script>"), headers=bearer(business_user))
    assert response.status_code == 201
    assert "<script>" not in response.get_data(as_text=True) and response.get_json()["name"] == "<script>x</script>"


def test_without_a_token_the_api_answers_401(client: FlaskClient) -> None:
    assert client.post("/api/v1/leads", json=lead_body()).status_code == 401
    assert client.get("/api/v1/leads").status_code == 401


def test_the_lead_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/leads"]) and {"get", "patch"} <= set(paths["/api/v1/leads/{lead_id}"])


def test_a_csv_file_is_imported_through_the_api_with_its_rejected_rows(
    client: FlaskClient, business_user: User
) -> None:
    data = "\ufeffFull name;Email;Time zone;Phone number\nAda;ada@example.com;UTC;\nBob;bob@example.com;UTC;0612\n"
    response = client.post(
        "/api/v1/leads/import", data=data.encode(), content_type="text/csv", headers=bearer(business_user)
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["rows"], body["created"], body["updated"]) == (2, 1, 0)
    assert body["rejected"] == [
        {
            "line": 3,
            "errors": [
                {
                    "field": "Phone number",
                    "message": "Enter the number in international format, starting with + and the country code "
                    "(e.g. +33 6 12 34 56 78).",
                }
            ],
        }
    ]
    assert [r[3] for r in lead_rows()] == ["ada@example.com"]


def test_an_unreadable_csv_through_the_api_is_a_422_on_the_file(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    response = client.post(
        "/api/v1/leads/import", data=b"email\nx@example.com\n", content_type="text/csv", headers=headers
    )
    assert response.status_code == 422 and error_fields(response) == {"file"}
    wrong_type = client.post("/api/v1/leads/import", json={"name": "Ada"}, headers=headers)
    assert wrong_type.status_code == 422 and error_fields(wrong_type) == {"body"}
    assert lead_rows() == []
