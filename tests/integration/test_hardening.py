"""Hardening: each test pins a defect found in review (poisoned links, stale sessions, NUL bytes, races)."""

from __future__ import annotations

from sqlalchemy import select

from closerhub.api.models import IdempotencyRecord
from tests.conftest import PASSWORD


def _token(client, email):
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["token"]


def test_nul_byte_in_api_token_name_is_a_422_not_a_500(app, client, closer):
    token = _token(client, closer.email)
    r = client.post("/api/v1/tokens", json={"name": "zap\x00ier"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422, r.get_data(as_text=True)


def test_nul_byte_in_web_token_name_is_a_422_not_a_500(app, closer_client):
    r = closer_client.post("/account/tokens", data={"name": "zap\x00ier"})
    assert r.status_code == 422


def test_nul_byte_in_auth_token_name_is_a_422_not_a_500(app, client, closer):
    r = client.post("/api/v1/auth/token", json={"email": closer.email, "password": PASSWORD, "name": "a\x00b"})
    assert r.status_code == 422, r.get_data(as_text=True)


def test_nul_byte_in_business_website_is_a_422_not_a_500(app, client, business_user):
    token = _token(client, business_user.email)
    r = client.put(
        "/api/v1/businesses/me",
        json={"name": "Acme", "website": "https://ac\x00me.example", "timezone": "Europe/Paris", "currency": "EUR"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422, r.get_data(as_text=True)


def test_nul_byte_in_business_website_form_is_a_422(app, business_client, business_user):
    r = business_client.post(
        f"/businesses/{business_user.business_id}",
        data={"name": "Acme", "website": "https://ac\x00me.example", "timezone": "Europe/Paris", "currency": "EUR"},
    )
    assert r.status_code == 422


def test_huge_page_number_on_admin_users_is_not_a_500(app, admin_client):
    r = admin_client.get("/admin/?page=99999999999999999999")
    assert r.status_code in (200, 404)


def test_huge_page_number_on_admin_outbox_is_not_a_500(app, admin_client):
    r = admin_client.get("/admin/outbox?page=99999999999999999999")
    assert r.status_code in (200, 404)


def test_idempotency_records_never_store_the_api_token_secret(app, client, closer, db):
    token = _token(client, closer.email)
    r = client.post(
        "/api/v1/tokens", json={"name": "funnel"}, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k1"}
    )
    assert r.status_code == 201
    secret = r.get_json()["token"]
    stored = db.session.scalars(select(IdempotencyRecord.response_body)).all()
    assert all(secret not in body for body in stored), "the bearer secret is stored in clear text"


def test_a_reset_link_always_points_at_public_base_url_whatever_the_host_header(app, client, closer, db):
    from closerhub.notifications.models import OutboxMessage

    app.config["PUBLIC_BASE_URL"] = "https://closerhub.example"
    client.post("/password/forgot", data={"email": closer.email}, headers={"Host": "evil.example"})
    reset = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "password_reset")).one()
    assert "evil.example" not in reset.text_body, "password-reset poisoning through the Host header"
    assert "https://closerhub.example/password/reset/" in reset.text_body


def test_resetting_the_password_ends_other_sessions(app, closer_client, closer, db):
    from closerhub.accounts import service

    token = service.make_reset_token(closer)
    other = app.test_client()
    assert other.post(f"/password/reset/{token}", data={"password": "brand-new-password-1"}).status_code == 302
    # The session stolen before the reset must not survive it.
    assert closer_client.get("/account").status_code == 302


def test_changing_the_password_ends_other_sessions(app, closer, db):
    from tests.conftest import AuthActions

    stolen = app.test_client()
    AuthActions(stolen).login(closer.email)
    mine = app.test_client()
    AuthActions(mine).login(closer.email)
    r = mine.post("/account/password", data={"current_password": PASSWORD, "new_password": "brand-new-password-1"})
    assert r.status_code == 302
    assert stolen.get("/account").status_code == 302


def test_a_sign_up_that_loses_the_email_race_is_a_409_not_a_500(app, client, closer, monkeypatch):
    from closerhub.accounts import service

    # Widen the race: the uniqueness check passes (another request has not committed yet).
    monkeypatch.setattr(service, "_email_taken", lambda *a, **k: False)
    r = client.post(
        "/api/v1/signup",
        json={"email": closer.email, "password": PASSWORD, "name": "Twin", "role": "closer", "timezone": "UTC"},
    )
    assert r.status_code == 409, r.get_data(as_text=True)[:300]


def test_a_next_parameter_with_a_newline_is_ignored_not_a_500(app, client):
    r = client.post("/language/en", data={"next": "/\r\nSet-Cookie:x=1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/")


def test_a_405_from_the_api_says_which_methods_are_allowed(app, client):
    r = client.get("/api/v1/signup")
    assert r.status_code == 405 and "POST" in r.headers.get("Allow", "")


def test_a_password_reset_revokes_every_api_token(app, client, closer, db):
    from closerhub.accounts import service, tokens
    from closerhub.accounts.models import ApiToken
    from closerhub.clock import utcnow

    _t, secret = tokens.create_token(db.session, closer, "funnel", utcnow())
    token = service.make_reset_token(closer)
    assert client.post(f"/password/reset/{token}", data={"password": "brand-new-password-1"}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))


def test_a_reset_link_stops_working_once_the_email_changes(app, client, closer_client, closer, db):
    from closerhub.accounts import service

    token = service.make_reset_token(closer)
    closer_client.post("/account/email", data={"email": "moved@example.com", "password": PASSWORD})
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400


def test_the_language_switch_is_a_post_and_keeps_the_page(app, client):
    assert client.get("/language/fr").status_code == 405
    response = client.post("/language/fr", data={"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Connexion" in client.get("/login").get_data(as_text=True) or "Se connecter" in client.get(
        "/login"
    ).get_data(as_text=True)


def test_reloading_after_creating_a_token_does_not_create_another(app, closer_client, db):
    from closerhub.accounts.models import ApiToken

    response = closer_client.post("/account/tokens", data={"name": "Zapier"})
    assert response.status_code == 302
    marker = 'data-testid="new-token"'
    assert marker in closer_client.get(response.headers["Location"]).get_data(as_text=True)  # shown once...
    assert marker not in closer_client.get("/account").get_data(as_text=True)  # ...and only once
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_admin_user_search_treats_underscore_and_percent_literally(app, admin_client, closer, business_user):
    html = admin_client.get("/admin/?q=_").get_data(as_text=True)
    assert closer.email not in html and business_user.email not in html
