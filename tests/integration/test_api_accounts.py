"""API accounts: sign-up, token exchange, /me, and the business endpoints with their tenancy rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import AccountStatus, User
from closerhub.businesses.models import Business
from tests.conftest import PASSWORD, UserFactory


def bearer(user: User) -> dict[str, str]:
    """Headers authenticating as ``user`` with a fresh token made by the real service."""
    from closerhub.extensions import db

    _token, secret = tokens.create_token(db.session, user, "test", clock.utcnow())
    return {"Authorization": f"Bearer {secret}"}


def signup_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "email": "new@example.com",
        "password": PASSWORD,
        "name": "Nina New",
        "role": "closer",
        "timezone": "America/New_York",
    }
    body.update(overrides)
    return body


def user_count(db: Any) -> int:
    return db.session.scalar(select(func.count(User.id)))


def error_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.get_json()["errors"]}


# --- sign-up ---------------------------------------------------------------------------


def test_signing_up_a_closer_answers_201_with_the_user(client: FlaskClient, db: Any) -> None:
    response = client.post("/api/v1/signup", json=signup_body(language="fr"))
    assert response.status_code == 201
    data = response.get_json()
    assert data["email"] == "new@example.com" and data["role"] == "closer" and data["language"] == "fr"
    assert data["timezone"] == "America/New_York" and data["business_id"] is None
    assert data["created_at"].endswith("Z")
    assert "password" not in response.get_data(as_text=True)
    assert db.session.get(User, data["id"]).name == "Nina New"


def test_signing_up_a_business_creates_the_business_with_the_user_as_owner(client: FlaskClient, db: Any) -> None:
    response = client.post("/api/v1/signup", json=signup_body(role="business", business_name="Nina & Co"))
    assert response.status_code == 201
    business = db.session.get(Business, response.get_json()["business_id"])
    assert business.name == "Nina & Co" and business.timezone == "America/New_York"


def test_signing_up_twice_with_the_same_email_is_a_409(client: FlaskClient, db: Any) -> None:
    assert client.post("/api/v1/signup", json=signup_body()).status_code == 201
    again = client.post("/api/v1/signup", json=signup_body(email="NEW@example.com", name="Other"))
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.get_json()["code"] == "email_taken" and error_fields(again) == {"email"}
    assert user_count(db) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        (signup_body(name=""), "name"),
        (signup_body(name="   "), "name"),
        (signup_body(name="x" * 121), "name"),
        (signup_body(email=42), "email"),
        (signup_body(email="not-an-email"), "email"),
        (signup_body(password="short"), "password"),
        (signup_body(password=1234567890123), "password"),
        (signup_body(timezone="Mars/Olympus"), "timezone"),
        (signup_body(role="admin"), "role"),
        (signup_body(language="de"), "language"),
        (signup_body(is_admin=True), "is_admin"),
        (signup_body(role="business"), "business_name"),
    ],
)
def test_invalid_sign_ups_are_422_naming_the_field_and_create_nothing(
    client: FlaskClient, db: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/signup", json=body)
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["status"] == 422 and problem["title"] and problem["detail"]
    assert field in error_fields(response)
    assert all(e["message"] for e in problem["errors"])
    assert user_count(db) == 0


def test_html_and_sql_in_names_are_stored_verbatim_and_returned_json_escaped(client: FlaskClient, db: Any) -> None:
    name = "<script>alert(1)</script> Robert'); DROP TABLE users;--"
    response = client.post("/api/v1/signup", json=signup_body(name=name, role="business", business_name=name))
    assert response.status_code == 201
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw and "\\u003cscript\\u003e" in raw
    assert response.get_json()["name"] == name
    user = db.session.get(User, response.get_json()["id"])
    assert user.name == name and db.session.get(Business, user.business_id).name == name
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- tokens from credentials -----------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("email", 5), ("password", ["a-strong-password"]), ("name", 7)])
def test_credentials_of_a_wrong_json_type_are_a_422_naming_the_field(
    client: FlaskClient, closer: User, field: str, value: Any
) -> None:
    """``authenticate`` takes text: a wrong JSON type is refused by the schema, naming the field."""
    body = {"email": closer.email, "password": PASSWORD, field: value}
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in error_fields(response)


def test_the_right_password_gets_a_token_that_authenticates_me(client: FlaskClient, closer: User) -> None:
    response = client.post("/api/v1/auth/token", json={"email": closer.email, "password": PASSWORD})
    assert response.status_code == 201
    data = response.get_json()
    assert data["token"].startswith("chub_") and data["expires_at"].endswith("Z")
    assert data["user"]["id"] == closer.id
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {data['token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == closer.email


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client: FlaskClient, closer: User) -> None:
    wrong = client.post("/api/v1/auth/token", json={"email": closer.email, "password": "wrong-password-1"})
    unknown = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_suspended_account_gets_no_token_and_its_tokens_stop_working(
    client: FlaskClient, closer: User, db: Any
) -> None:
    headers = bearer(closer)
    closer.status = AccountStatus.SUSPENDED
    db.session.commit()
    assert client.post("/api/v1/auth/token", json={"email": closer.email, "password": PASSWORD}).status_code == 401
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["code"] == "account_suspended"


# --- businesses ------------------------------------------------------------------------


def test_a_business_reads_and_updates_its_own_business(client: FlaskClient, business_user: User, db: Any) -> None:
    headers = bearer(business_user)
    mine = client.get("/api/v1/businesses/me", headers=headers)
    assert mine.status_code == 200 and mine.get_json()["name"] == "Acme Coaching"
    body = {"name": "Acme Coaching Ltd", "website": "acme.example", "timezone": "Europe/London", "currency": "gbp"}
    updated = client.put("/api/v1/businesses/me", json=body, headers=headers)
    assert updated.status_code == 200
    assert updated.get_json()["currency"] == "GBP" and updated.get_json()["website"] == "https://acme.example"
    db.session.expire_all()
    assert db.session.get(Business, business_user.business_id).timezone == "Europe/London"


def test_an_invalid_business_update_is_422_and_changes_nothing(
    client: FlaskClient, business_user: User, db: Any
) -> None:
    body = {"name": "Acme", "timezone": "Mars/Olympus", "currency": "XYZ"}
    response = client.put("/api/v1/businesses/me", json=body, headers=bearer(business_user))
    assert response.status_code == 422
    assert {"timezone", "currency"} <= error_fields(response)
    db.session.expire_all()
    assert db.session.get(Business, business_user.business_id).name == "Acme Coaching"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("website", ["acme.example"]),
        ("industry", 3),
        ("prospect_languages", "en, fr"),
        ("prospect_timezones", [1]),
        ("brand_color", 0x1D4ED8),
        ("logo_url", True),
        ("embed_origins", "https://www.example.com"),
    ],
)
def test_a_business_update_with_a_wrong_json_type_is_a_422_naming_the_field(
    client: FlaskClient, business_user: User, db: Any, field: str, value: Any
) -> None:
    """The service takes a typed command: a wrong JSON type is refused by the schema, naming the field."""
    body = {"name": "Renamed", "timezone": "Europe/Paris", "currency": "EUR", field: value}
    response = client.put("/api/v1/businesses/me", json=body, headers=bearer(business_user))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in {f.split(".")[0].split("[")[0] for f in error_fields(response)}, response.get_json()
    db.session.expire_all()
    assert db.session.get(Business, business_user.business_id).name == "Acme Coaching"


def test_a_closer_is_refused_the_business_endpoints_with_403(client: FlaskClient, closer: User) -> None:
    response = client.get("/api/v1/businesses/me", headers=bearer(closer))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_another_business_is_a_404_like_a_missing_one(
    client: FlaskClient, business_user: User, make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Inc")
    headers = bearer(business_user)
    other = client.get(f"/api/v1/businesses/{rival.business_id}", headers=headers)
    missing = client.get("/api/v1/businesses/999999", headers=headers)
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["detail"] == missing.get_json()["detail"]
    assert "Rival" not in other.get_data(as_text=True)
    own = client.get(f"/api/v1/businesses/{business_user.business_id}", headers=headers)
    assert own.status_code == 200


def test_an_admin_sees_any_business_and_a_closer_none(
    client: FlaskClient, business_user: User, closer: User, admin_user: User
) -> None:
    url = f"/api/v1/businesses/{business_user.business_id}"
    assert client.get(url, headers=bearer(admin_user)).get_json()["name"] == "Acme Coaching"
    assert client.get(url, headers=bearer(closer)).status_code == 404
