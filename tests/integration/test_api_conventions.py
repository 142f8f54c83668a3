"""API conventions: JSON input errors, pagination bounds, idempotency, rate limits, OpenAPI and docs."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import ApiToken, User
from closerhub.api.idempotency import IN_PROGRESS, request_fingerprint
from closerhub.api.models import IdempotencyRecord
from closerhub.api.schemas import Money
from closerhub.extensions import limiter
from tests.conftest import PASSWORD


@pytest.fixture
def headers(db: Any, closer: User) -> dict[str, str]:
    _token, secret = tokens.create_token(db.session, closer, "conventions", clock.utcnow())
    return {"Authorization": f"Bearer {secret}"}


def token_count(db: Any) -> int:
    return db.session.scalar(select(func.count(ApiToken.id)))


# --- JSON input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"name": ', "application/json"),
        ("{'name': 'single quotes'}", "application/json"),
        ("", "application/json"),
        ('["a list"]', "application/json"),
        ("null", "application/json"),
        ("name=form-encoded", "application/x-www-form-urlencoded"),
        ('{"name": "no content type"}', "text/plain"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_422_never_500(
    client: FlaskClient, headers: dict[str, str], data: Any, content_type: str, db: Any
) -> None:
    response = client.post("/api/v1/tokens", data=data, content_type=content_type, headers=headers)
    assert response.status_code == 422
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["errors"] and problem["errors"][0]["field"] == "body"
    assert token_count(db) == 1


def test_a_nested_wrong_type_is_reported_by_its_dotted_path() -> None:
    from pydantic import BaseModel, ValidationError

    from closerhub.api.validation import errors_from_pydantic

    class Outer(BaseModel):
        price: Money

    with pytest.raises(ValidationError) as info:
        Outer.model_validate_json(b'{"price": {"amount": 12.5, "currency": "EUR"}}')
    assert errors_from_pydantic(info.value) == {"price.amount": "Expected an integer."}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"amount": 100.0, "currency": "EUR"}',
        b'{"amount": "100", "currency": "EUR"}',
        b'{"amount": 100, "currency": "XYZ"}',
        b'{"amount": true, "currency": "EUR"}',
    ],
)
def test_money_takes_only_integer_minor_units_of_a_known_currency(raw: bytes) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Money.model_validate_json(raw)
    assert Money.model_validate_json(b'{"amount": 100, "currency": "eur"}').currency == "EUR"


def test_unknown_api_paths_and_methods_answer_problem_json(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong_method = client.patch("/api/v1/signup", json={})
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"


# --- pagination ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=-1", "limit=abc", "limit=2.5", "cursor=" + "x" * 600, "colour=blue"]
)
def test_out_of_range_list_parameters_are_422(client: FlaskClient, headers: dict[str, str], query: str) -> None:
    response = client.get(f"/api/v1/tokens?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


def test_limit_defaults_to_50_and_accepts_200(
    client: FlaskClient, headers: dict[str, str], closer: User, db: Any
) -> None:
    for i in range(50):
        db.session.add(
            ApiToken(
                user_id=closer.id,
                name=f"bulk{i}",
                token_hash=f"{i:064d}",
                prefix="chub_bulk",
                created_at=clock.utcnow(),
                expires_at=clock.utcnow() + timedelta(days=1),
            )
        )
    db.session.commit()
    first = client.get("/api/v1/tokens", headers=headers).get_json()
    assert len(first["data"]) == 50 and first["next_cursor"]
    everything = client.get("/api/v1/tokens?limit=200", headers=headers).get_json()
    assert len(everything["data"]) == 51 and everything["next_cursor"] is None


def test_a_tampered_cursor_is_422(client: FlaskClient, headers: dict[str, str], db: Any, closer: User) -> None:
    for i in range(3):
        tokens.create_token(db.session, closer, f"t{i}", clock.utcnow())
    cursor = client.get("/api/v1/tokens?limit=1", headers=headers).get_json()["next_cursor"]
    payload, _, signature = cursor.rpartition(".")
    forged = payload.replace(payload[-2:], "AA") + "." + signature
    for bad in (forged, cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "not-a-cursor"):
        response = client.get(f"/api/v1/tokens?limit=1&cursor={bad}", headers=headers)
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "cursor"


# --- idempotency -----------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_replays_the_first_response(
    client: FlaskClient, headers: dict[str, str], db: Any
) -> None:
    h = {**headers, "Idempotency-Key": "7b0c1a52-key"}
    first = client.post("/api/v1/tokens", json={"name": "zap"}, headers=h)
    again = client.post("/api/v1/tokens", data='{ "name" :  "zap" }', content_type="application/json", headers=h)
    assert first.status_code == again.status_code == 201
    # The same token, not a second one; its secret was shown once and is never stored.
    assert again.get_json() == {**first.get_json(), "token": None}
    assert first.get_json()["token"].startswith("chub_")
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert token_count(db) == 2


def test_the_same_idempotency_key_with_another_body_is_a_409(
    client: FlaskClient, headers: dict[str, str], db: Any
) -> None:
    h = {**headers, "Idempotency-Key": "key-1"}
    assert client.post("/api/v1/tokens", json={"name": "zap"}, headers=h).status_code == 201
    clash = client.post("/api/v1/tokens", json={"name": "other"}, headers=h)
    assert clash.status_code == 409 and clash.get_json()["code"] == "idempotency_key_reused"
    assert token_count(db) == 2


def test_keys_are_per_user(client: FlaskClient, headers: dict[str, str], make_user: Any, db: Any) -> None:
    other = make_user("business")
    _t, secret = tokens.create_token(db.session, other, "other", clock.utcnow())
    for h in (headers, {"Authorization": f"Bearer {secret}"}):
        response = client.post("/api/v1/tokens", json={"name": "zap"}, headers={**h, "Idempotency-Key": "shared"})
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_a_failed_request_is_not_stored_so_the_key_can_be_retried(
    client: FlaskClient, headers: dict[str, str], db: Any
) -> None:
    h = {**headers, "Idempotency-Key": "retry-me"}
    assert client.post("/api/v1/tokens", json={"name": ""}, headers=h).status_code == 422
    assert db.session.scalar(select(func.count(IdempotencyRecord.id))) == 0
    assert client.post("/api/v1/tokens", json={"name": "fixed"}, headers=h).status_code == 201


@pytest.mark.parametrize("key", ["k" * 256, "", "has space", "é"])
def test_a_malformed_idempotency_key_is_422(client: FlaskClient, headers: dict[str, str], key: str, db: Any) -> None:
    response = client.post("/api/v1/tokens", json={"name": "zap"}, headers={**headers, "Idempotency-Key": key})
    assert response.status_code == 422
    assert token_count(db) == 1


def test_sign_up_with_an_idempotency_key_replays_instead_of_conflicting(client: FlaskClient, db: Any) -> None:
    body = {"email": "idem@example.com", "password": PASSWORD, "name": "Idem", "role": "closer", "timezone": "UTC"}
    first = client.post("/api/v1/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    again = client.post("/api/v1/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    assert first.status_code == again.status_code == 201 and again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_key_whose_first_request_is_in_flight_gets_409_then_a_dead_claim_expires(
    app: Flask, client: FlaskClient, headers: dict[str, str], closer: User, db: Any
) -> None:
    with app.test_request_context("/api/v1/tokens", method="POST", json={"name": "zap"}):
        fingerprint = request_fingerprint()
    db.session.add(
        IdempotencyRecord(
            user_id=closer.id,
            key="busy",
            method="POST",
            path="/api/v1/tokens",
            request_hash=fingerprint,
            response_status=IN_PROGRESS,
            response_body="",
            created_at=clock.utcnow(),
        )
    )
    db.session.commit()
    h = {**headers, "Idempotency-Key": "busy"}
    busy = client.post("/api/v1/tokens", json={"name": "zap"}, headers=h)
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert busy.get_json()["code"] == "idempotency_in_progress"
    with clock.frozen_at(clock.utcnow() + timedelta(minutes=5)):
        assert client.post("/api/v1/tokens", json={"name": "zap"}, headers=h).status_code == 201
    assert token_count(db) == 2


def test_two_concurrent_first_requests_with_one_key_create_one_token(
    app: Flask, headers: dict[str, str], db: Any
) -> None:
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def post() -> None:
        with app.app_context():  # each thread is its own client, with its own session
            barrier.wait()
            response = app.test_client().post(
                "/api/v1/tokens", json={"name": "race"}, headers={**headers, "Idempotency-Key": "race"}
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(statuses) == 4 and sorted(set(statuses)) in ([201], [201, 409])
    db.session.commit()  # drop this session's snapshot, taken before the threads wrote
    assert token_count(db) == 2  # the fixture's token and exactly one more


# --- rate limits -----------------------------------------------------------------------


@pytest.fixture
def rate_limits_on() -> Iterator[None]:
    previous = limiter.enabled
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.enabled = previous
    limiter.reset()


def test_too_many_token_requests_are_429_with_retry_after(
    rate_limits_on: None, client: FlaskClient, closer: User
) -> None:
    body = {"email": closer.email, "password": "wrong-password-1"}
    statuses = [client.post("/api/v1/auth/token", json=body).status_code for _ in range(10)]
    assert statuses == [401] * 10
    limited = client.post("/api/v1/auth/token", json={"email": closer.email, "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json" and limited.get_json()["status"] == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60


# --- OpenAPI and docs ------------------------------------------------------------------


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_openapi_document_lists_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    routes = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    assert len(routes) >= 10
    for rule, method in routes:
        operation = document["paths"].get(_openapi_path(rule.rule), {}).get(method.lower())
        assert operation is not None, f"{method} {rule.rule} is missing from the OpenAPI document"
        assert operation["summary"] and operation["responses"]


def test_the_openapi_document_is_3_1_and_every_reference_resolves(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1") and document["info"]["title"]
    schemas = document["components"]["schemas"]
    assert {"SignupIn", "UserOut", "TokenOut", "Problem", "BusinessIn", "ApiTokenOut"} <= set(schemas)
    refs = re.findall(r'"\$ref":\s*"#/components/schemas/([^"]+)"', response.get_data(as_text=True))
    assert refs and all(name in schemas for name in refs)
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}] and "401" in me["responses"]
    assert document["paths"]["/api/v1/signup"]["post"]["security"] == []
    assert "bearerAuth" in document["components"]["securitySchemes"]


def test_the_docs_page_describes_every_endpoint_without_external_scripts(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    document = client.get("/api/v1/openapi.json").get_json()
    for path in document["paths"]:
        assert path in html
    assert "<script" not in html and "Idempotency-Key" in html and "Bearer" in html
