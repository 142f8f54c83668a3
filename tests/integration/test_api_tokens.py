"""API tokens: hashed storage, use, expiry, revocation, listing, and no session-cookie access."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import ApiToken, User
from tests.conftest import PASSWORD, UserFactory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_token(db: Any, user: User, name: str = "ci") -> tuple[ApiToken, dict[str, str]]:
    token, secret = tokens.create_token(db.session, user, name, clock.utcnow())
    return token, {"Authorization": f"Bearer {secret}"}


def test_only_the_sha256_of_a_secret_is_stored(client: FlaskClient, closer: User, db: Any) -> None:
    response = client.post("/api/v1/auth/token", json={"email": closer.email, "password": PASSWORD})
    secret = response.get_json()["token"]
    row = db.session.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.token_hash, row.prefix, row.name) and secret.startswith(row.prefix)
    assert len(secret) > 40


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_garbage_token_is_401_invalid_token(client: FlaskClient, closer: User) -> None:
    for value in ("Bearer chub_nope", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer " + "x" * 5000):
        response = client.get("/api/v1/me", headers={"Authorization": value})
        assert response.status_code == 401, value


def test_a_logged_in_browser_session_is_not_accepted_by_the_api(closer_client: FlaskClient) -> None:
    assert closer_client.get("/account").status_code == 200  # the session works on the pages
    response = closer_client.get("/api/v1/me")
    assert response.status_code == 401
    assert closer_client.post("/api/v1/tokens", json={"name": "sneaky"}).status_code == 401


def test_a_token_expires_after_the_configured_days(app: Any, client: FlaskClient, closer: User, db: Any) -> None:
    app.config["API_TOKEN_DAYS"] = 30
    with time_machine.travel(T0, tick=False):
        token, headers = make_token(db, closer)
        assert token.expires_at == T0 + timedelta(days=30)
    with time_machine.travel(T0 + timedelta(days=29, hours=23), tick=False):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_last_used_at_is_written_at_most_once_a_minute(client: FlaskClient, closer: User, db: Any) -> None:
    with clock.frozen_at(T0):
        token, headers = make_token(db, closer)
    assert token.last_used_at is None
    with clock.frozen_at(T0 + timedelta(seconds=5)):
        client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == T0 + timedelta(seconds=5)
    with clock.frozen_at(T0 + timedelta(seconds=50)):
        client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == T0 + timedelta(seconds=5)
    with clock.frozen_at(T0 + timedelta(seconds=70)):
        client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == T0 + timedelta(seconds=70)


def test_a_revoked_token_stops_working_and_revoking_again_is_harmless(
    client: FlaskClient, closer: User, db: Any
) -> None:
    token, headers = make_token(db, closer)
    _other, admin_headers = make_token(db, closer, "admin script")
    first = client.delete(f"/api/v1/tokens/{token.id}", headers=admin_headers)
    assert first.status_code == 200 and first.get_json()["revoked_at"].endswith("Z")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    again = client.delete(f"/api/v1/tokens/{token.id}", headers=admin_headers)
    assert again.status_code == 200 and again.get_json()["revoked_at"] == first.get_json()["revoked_at"]


def test_a_token_can_revoke_itself(client: FlaskClient, closer: User, db: Any) -> None:
    token, headers = make_token(db, closer)
    assert client.delete(f"/api/v1/tokens/{token.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_revoking_another_users_token_is_a_404_and_leaves_it_working(
    client: FlaskClient, closer: User, make_user: UserFactory, db: Any
) -> None:
    victim = make_user("closer")
    victim_token, victim_headers = make_token(db, victim)
    _mine, headers = make_token(db, closer)
    response = client.delete(f"/api/v1/tokens/{victim_token.id}", headers=headers)
    assert response.status_code == 404
    assert client.delete("/api/v1/tokens/999999", headers=headers).get_json()["detail"] == response.get_json()["detail"]
    assert client.get("/api/v1/me", headers=victim_headers).status_code == 200


def test_creating_a_named_token_shows_the_secret_once(client: FlaskClient, closer: User, db: Any) -> None:
    _token, headers = make_token(db, closer)
    created = client.post("/api/v1/tokens", json={"name": "  Zapier  "}, headers=headers)
    assert created.status_code == 201
    data = created.get_json()
    assert data["name"] == "Zapier" and data["token"].startswith(data["prefix"])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {data['token']}"}).status_code == 200
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["data"]
    assert [t["name"] for t in listed] == ["ci", "Zapier"]
    assert all("token" not in t for t in listed)


def test_a_token_name_is_required_and_bounded(client: FlaskClient, closer: User, db: Any) -> None:
    _token, headers = make_token(db, closer)
    for name in ("", "x" * 81, 12):
        response = client.post("/api/v1/tokens", json={"name": name}, headers=headers)
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "name"
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1


def test_the_token_list_shows_only_my_tokens(
    client: FlaskClient, closer: User, make_user: UserFactory, db: Any
) -> None:
    make_token(db, make_user("business"), "theirs")
    _token, headers = make_token(db, closer, "mine")
    names = [t["name"] for t in client.get("/api/v1/tokens", headers=headers).get_json()["data"]]
    assert names == ["mine"]


def test_walking_the_token_list_with_a_cursor_visits_each_token_once(
    client: FlaskClient, closer: User, db: Any
) -> None:
    created = [make_token(db, closer, f"t{i}")[0].id for i in range(5)]
    headers = make_token(db, closer, "walker")[1]
    created.append(db.session.scalar(select(func.max(ApiToken.id))))
    seen: list[int] = []
    pages = 0
    url = "/api/v1/tokens?limit=2"
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200
        body = page.get_json()
        assert len(body["data"]) <= 2
        seen += [t["id"] for t in body["data"]]
        pages += 1
        url = f"/api/v1/tokens?limit=2&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == created and pages == 3
