"""Sign-up, log-in, log-out, password reset and settings through the HTML pages."""

from __future__ import annotations

import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.businesses.models import Business, BusinessMember, MemberRole
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import PASSWORD

SIGNUP = {
    "role": "closer",
    "name": "Léa Dupont",
    "email": "lea@example.com",
    "password": PASSWORD,
    "timezone": "Europe/Paris",
    "language": "fr",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_signing_up_as_a_closer_creates_the_user_and_logs_them_in(client: FlaskClient) -> None:
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    user = db.session.scalar(select(User).where(User.email == "lea@example.com"))
    assert user is not None and user.role == Role.CLOSER and user.timezone == "Europe/Paris"
    assert user.language == "fr" and user.password_hash.startswith("$argon2id$")
    assert user.membership is None
    assert "Léa Dupont" in client.get("/dashboard").get_data(as_text=True)


def test_signing_up_as_a_business_creates_the_business_with_the_user_as_owner(client: FlaskClient) -> None:
    data = {**SIGNUP, "role": "business", "business_name": "Acme Coaching", "email": "omar@acme.example"}
    assert client.post("/signup", data=data).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "omar@acme.example"))
    assert user is not None and user.role == Role.BUSINESS
    member = db.session.scalar(select(BusinessMember).where(BusinessMember.user_id == user.id))
    assert member is not None and member.role == MemberRole.OWNER
    assert member.business.name == "Acme Coaching" and member.business.timezone == "Europe/Paris"


def test_a_welcome_email_is_queued_in_the_users_language(client: FlaskClient) -> None:
    client.post("/signup", data=SIGNUP)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "lea@example.com"))
    assert message is not None


def test_the_sign_up_form_offers_the_language_the_page_is_read_in(client: FlaskClient) -> None:
    french = client.get("/signup", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    english = client.get("/signup", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert re.search(r'<option selected value="fr">|<option value="fr" selected>', french), "French not preselected"
    assert re.search(r'<option selected value="en">|<option value="en" selected>', english), "English not preselected"


@pytest.mark.parametrize(
    ("override", "field_message"),
    [
        ({"email": ""}, "This field is required"),
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 121}, "120"),
        ({"password": "short"}, "10"),
        ({"password": "1234567890"}, "too common"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"role": "admin"}, "Not a valid choice"),
        ({"role": "business", "business_name": ""}, "required"),
        ({"language": "de"}, "Not a valid choice"),
    ],
)
def test_bad_sign_up_input_is_refused_with_a_clear_message_and_creates_nothing(
    client: FlaskClient, override: dict[str, str], field_message: str
) -> None:
    response = client.post("/signup", data={**SIGNUP, **override})
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert count(User) == 0 and count(Business) == 0 and count(OutboxMessage) == 0


def test_html_and_sql_in_a_name_are_stored_verbatim_and_shown_escaped(client: FlaskClient) -> None:
    name = "<script>alert(1)</script>'; DROP TABLE users; --"
    client.post("/signup", data={**SIGNUP, "name": name})
    assert db.session.scalar(select(User.name)) == name
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_second_account_with_the_same_email_is_refused(client: FlaskClient, closer: User) -> None:
    response = client.post("/signup", data={**SIGNUP, "email": "CLOSER@example.com"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count(User) == 1


def test_logging_in_and_out(client: FlaskClient, closer: User) -> None:
    response = client.post("/login", data={"email": "closer@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_sets_a_long_lived_http_only_cookie(client: FlaskClient, closer: User) -> None:
    response = client.post("/login", data={"email": closer.email, "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "Expires=" in cookie


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client: FlaskClient, closer: User) -> None:
    wrong = client.post("/login", data={"email": closer.email, "password": "wrong-password-123"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "wrong-password-123"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is incorrect." in wrong.get_data(as_text=True)
    assert "Email or password is incorrect." in unknown.get_data(as_text=True)


def test_a_suspended_user_cannot_log_in(client: FlaskClient, closer: User) -> None:
    closer.status = AccountStatus.SUSPENDED
    db.session.commit()
    response = client.post("/login", data={"email": closer.email, "password": PASSWORD})
    assert response.status_code == 401 and "suspended" in response.get_data(as_text=True)


def test_login_does_not_redirect_to_another_site(client: FlaskClient, closer: User) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"email": closer.email, "password": PASSWORD})
        assert response.headers["Location"].endswith("/dashboard"), target
        client.post("/logout")


def test_a_forged_csrf_token_is_refused_and_changes_nothing(app: Flask, csrf_enabled: None) -> None:
    c = app.test_client()
    response = c.post("/signup", data={**SIGNUP, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)
    assert count(User) == 0


def test_forms_carry_a_csrf_token_that_is_accepted(app: Flask, csrf_enabled: None) -> None:
    c = app.test_client()
    html = c.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert c.post("/signup", data={**SIGNUP, "csrf_token": token}).status_code == 302


def _reset_link(to: str) -> str:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    match = re.search(r"http://localhost(/password/reset/[A-Za-z0-9_.\-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def test_password_reset_by_emailed_link_works_once(client: FlaskClient, closer: User) -> None:
    response = client.post("/password/forgot", data={"email": closer.email})
    assert response.status_code == 302
    link = _reset_link(closer.email)
    assert client.get(link).status_code == 200
    assert client.post(link, data={"password": "a-brand-new-secret"}).status_code == 302
    assert client.post("/login", data={"email": closer.email, "password": "a-brand-new-secret"}).status_code == 302
    client.post("/logout")
    second = client.post(link, data={"password": "yet-another-secret"})
    assert second.status_code == 400 and "already been used" in second.get_data(as_text=True)
    assert client.post("/login", data={"email": closer.email, "password": "yet-another-secret"}).status_code == 401


def test_a_tampered_reset_link_is_refused(client: FlaskClient, closer: User) -> None:
    client.post("/password/forgot", data={"email": closer.email})
    link = _reset_link(closer.email)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    response = client.post(tampered, data={"password": "a-brand-new-secret"})
    assert response.status_code == 400 and "invalid" in response.get_data(as_text=True)
    db.session.refresh(closer)
    assert accounts.authenticate(db.session, closer.email, PASSWORD, now=clock.utcnow()).id == closer.id


def test_a_reset_link_expires_after_an_hour(client: FlaskClient, closer: User) -> None:
    with time_machine.travel("2026-11-23 10:00Z", tick=False):
        client.post("/password/forgot", data={"email": closer.email})
        link = _reset_link(closer.email)
    with time_machine.travel("2026-11-23 11:01Z", tick=False):
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_asking_a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client: FlaskClient, closer: User
) -> None:
    known = client.post("/password/forgot", data={"email": closer.email}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "ghost@example.com"}, follow_redirects=True)
    assert known.get_data(as_text=True).count("If an account exists") == 1
    assert unknown.get_data(as_text=True).count("If an account exists") == 1
    assert (
        count(OutboxMessage) == 2
    )  # the closer's welcome (with its verification link) and reset; nothing for the ghost


def test_changing_password_needs_the_current_one(closer_client: FlaskClient, closer: User) -> None:
    bad = closer_client.post(
        "/account/password", data={"current_password": "nope-nope-nope", "new_password": "another-good-one"}
    )
    assert bad.status_code == 422 and "incorrect" in bad.get_data(as_text=True)
    ok = closer_client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "another-good-one"}
    )
    assert ok.status_code == 302
    assert accounts.authenticate(db.session, closer.email, "another-good-one", now=clock.utcnow()).id == closer.id


def test_changing_email_tells_the_old_address(closer_client: FlaskClient, closer: User) -> None:
    response = closer_client.post("/account/email", data={"email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(closer)
    assert closer.email == "new@example.com"
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == "closer@example.com").order_by(OutboxMessage.id.desc())
    ).subject


def test_changing_email_to_a_taken_one_changes_nothing(
    closer_client: FlaskClient, closer: User, business_user: User
) -> None:
    response = closer_client.post("/account/email", data={"email": business_user.email, "password": PASSWORD})
    assert response.status_code == 422
    db.session.refresh(closer)
    assert closer.email == "closer@example.com"


def test_preferences_refuse_an_unknown_zone_and_keep_the_old_values(closer_client: FlaskClient, closer: User) -> None:
    response = closer_client.post(
        "/account/preferences", data={"name": "New Name", "timezone": "Mars/Olympus", "language": "en"}
    )
    assert response.status_code == 422 and "Unknown time zone" in response.get_data(as_text=True)
    db.session.refresh(closer)
    assert closer.name == "Claire Closer" and closer.timezone == "Europe/Paris"


def test_preferences_change_language_and_zone(closer_client: FlaskClient, closer: User) -> None:
    response = closer_client.post(
        "/account/preferences", data={"name": "Claire", "timezone": "Asia/Kolkata", "language": "fr"}
    )
    assert response.status_code == 302
    db.session.refresh(closer)
    assert (closer.name, closer.timezone, closer.language) == ("Claire", "Asia/Kolkata", "fr")
    assert "Heures affichées à l’heure de Kolkata" in closer_client.get("/dashboard").get_data(as_text=True)


def test_repeated_failed_logins_are_rate_limited_with_retry_after(client: FlaskClient, closer: User) -> None:
    statuses = [
        client.post("/login", data={"email": closer.email, "password": "guess-number-x"}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    response = client.post("/login", data={"email": closer.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_data(as_text=True)
