"""Landing page, health check, error pages and security headers."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from closerhub.extensions import db


def test_landing_page_explains_the_product_to_businesses_and_closers(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "For businesses" in html and "For closers" in html
    assert 'href="/signup?role=business"' in html and 'href="/signup?role=closer"' in html


def test_landing_page_is_served_in_french_to_a_french_browser(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert "Pour les entreprises" in html


def test_healthz_reports_the_database_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(app: Flask, client: FlaskClient, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_unknown_page_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_the_500_page_and_logs_it(app: Flask, client: FlaskClient, monkeypatch) -> None:
    app.config["SHOW_500_IN_TESTS"] = True
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "pages.index", boom)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_an_unknown_api_path_answers_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_switching_language_returns_to_the_same_page_with_its_query_string(client: FlaskClient) -> None:
    page = client.get("/login?next=/dashboard")
    assert 'name="next" value="/login?next=/dashboard"' in page.get_data(as_text=True)
    switched = client.post("/language/fr", data={"next": "/login?next=/dashboard"})
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/login?next=/dashboard")


def test_a_page_without_a_query_string_sends_its_bare_path_to_the_language_switch(client: FlaskClient) -> None:
    assert 'name="next" value="/login"' in client.get("/login").get_data(as_text=True)
