"""Email verification: sign-up and email change send a signed, expiring link; the link verifies once;
bad links change nothing; unverified users see a banner with a rate-limited resend; admins resend
from the users desk; vetting refuses to approve an unverified closer; the API says whether it is verified."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub.accounts import verification
from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import PASSWORD, UserFactory, _logged_in

SIGNUP = {
    "role": "closer",
    "name": "Léa Dupont",
    "email": "lea@example.com",
    "password": PASSWORD,
    "timezone": "Europe/Paris",
    "language": "fr",
}
CHECKLIST = {"stripe_onboarded": "y", "languages_checked": "y", "intro_call_held": "y"}


def verify_emails(to: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == to, OutboxMessage.text_body.contains("/verify-email/"))
            .order_by(OutboxMessage.id)
        )
    )


def verify_link(to: str) -> str:
    """The path of the newest verification link emailed to ``to``."""
    messages = verify_emails(to)
    assert messages, f"no verification email to {to}"
    match = re.search(r"http://localhost(/verify-email/[A-Za-z0-9_.\-]+)", messages[-1].text_body)
    assert match, messages[-1].text_body
    return match.group(1)


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


@pytest.fixture
def newcomer(make_user: UserFactory) -> User:
    """A closer fresh from sign-up: email not verified, vetting in review."""
    return make_user("closer", name="Nora Newcomer", email="nora@example.com", approved=False, verified=False)


# --- sending ---------------------------------------------------------------------------------


def test_signing_up_on_the_web_sends_one_welcome_email_with_the_verification_link_in_the_users_language(
    client: FlaskClient,
) -> None:
    assert client.post("/signup", data=SIGNUP).status_code == 302
    # One email, not a welcome and then a second one to confirm the address.
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "lea@example.com")).all()
    assert message.template == "welcome" and message.language == "fr"
    assert message.subject == "Bienvenue sur CloserHub, Léa Dupont"
    assert "/verify-email/" in message.html_body and "Confirmer mon adresse e-mail" in message.html_body
    assert "Ce lien expire dans 3 jours." in message.text_body
    assert message.text_body.index("/verify-email/") < message.text_body.index("/dashboard")  # the link comes first
    user = db.session.scalar(select(User).where(User.email == "lea@example.com"))
    assert user.email_verified_at is None


def test_signing_up_through_the_api_emails_a_verification_link_and_says_unverified(client: FlaskClient) -> None:
    body = {**SIGNUP, "email": "api@example.com", "language": "en"}
    response = client.post("/api/v1/signup", json=body)
    assert response.status_code == 201 and response.json["email_verified"] is False
    [message] = verify_emails("api@example.com")
    assert message.language == "en" and message.subject == "Welcome to CloserHub, Léa Dupont"
    assert "First, please confirm that api@example.com is your email address" in message.text_body


def test_changing_the_email_sends_a_link_to_the_new_address_and_unverifies(client: FlaskClient, app: Flask) -> None:
    client.post("/signup", data=SIGNUP)
    client.get(verify_link("lea@example.com"))
    response = client.post("/account/email", data={"email": "lea.new@example.com", "password": PASSWORD})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "lea.new@example.com"))
    db.session.refresh(user)
    assert user.email_verified_at is None and len(verify_emails("lea.new@example.com")) == 1


# --- the link --------------------------------------------------------------------------------


def test_the_emailed_link_verifies_the_address_audited_and_a_second_click_says_already_verified(
    client: FlaskClient,
) -> None:
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        client.post("/signup", data=SIGNUP)
        link = verify_link("lea@example.com")
        client.post("/logout")
        first = client.get(link)  # another browser, logged out: still works
    assert first.status_code == 200 and 'data-outcome="verified"' in first.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lea@example.com"))
    db.session.refresh(user)
    assert user.email_verified_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.email_verified"))
    assert entry is not None and entry.object_id == str(user.id)
    with time_machine.travel(datetime(2026, 11, 23, 10, 5, tzinfo=UTC), tick=False):
        second = client.get(link)
    assert second.status_code == 200 and 'data-outcome="already"' in second.get_data(as_text=True)
    with time_machine.travel(datetime(2026, 12, 23, 10, 5, tzinfo=UTC), tick=False):
        late = client.get(link)  # long expired, but there is nothing left to do: no alarming "expired"
    assert late.status_code == 200 and 'data-outcome="already"' in late.get_data(as_text=True)
    assert audit_count("account.email_verified") == 1


def test_a_tampered_link_is_refused_and_changes_nothing(client: FlaskClient, newcomer: User) -> None:
    link = verify_link(newcomer.email)
    for bad in (link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"), "/verify-email/garbage", link + "x"):
        response = client.get(bad)
        assert response.status_code == 400 and 'data-outcome="invalid"' in response.get_data(as_text=True)
    db.session.refresh(newcomer)
    assert newcomer.email_verified_at is None and audit_count("account.email_verified") == 0


def test_a_link_signed_for_a_user_that_does_not_exist_reads_like_any_bad_link(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        ghost = User(id=987654, email="ghost@example.com")
        token = verification.make_verify_token(ghost)
    response = client.get(f"/verify-email/{token}")
    assert response.status_code == 400 and 'data-outcome="invalid"' in response.get_data(as_text=True)


def test_a_link_expires_after_three_days(client: FlaskClient) -> None:
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        client.post("/signup", data=SIGNUP)
        link = verify_link("lea@example.com")
    with time_machine.travel(datetime(2026, 11, 26, 10, 1, tzinfo=UTC), tick=False):
        response = client.get(link)
    assert response.status_code == 400 and 'data-outcome="expired"' in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lea@example.com"))
    assert user.email_verified_at is None


def test_a_link_sent_to_a_previous_address_no_longer_works(client: FlaskClient) -> None:
    client.post("/signup", data=SIGNUP)
    old_link = verify_link("lea@example.com")
    client.post("/account/email", data={"email": "lea.new@example.com", "password": PASSWORD})
    response = client.get(old_link)
    assert response.status_code == 400 and 'data-outcome="invalid"' in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lea.new@example.com"))
    db.session.refresh(user)
    assert user.email_verified_at is None
    assert client.get(verify_link("lea.new@example.com")).status_code == 200
    db.session.refresh(user)
    assert user.email_verified_at is not None


# --- banner and resend -------------------------------------------------------------------------


def test_an_unverified_user_sees_the_banner_on_the_dashboard_and_account_page_until_verified(
    app: Flask, newcomer: User
) -> None:
    c = _logged_in(app, newcomer)  # not verified: logging in still works
    for path in ("/dashboard", "/account"):
        html = c.get(path).get_data(as_text=True)
        assert 'data-testid="verify-banner"' in html and "Resend the email" in html
    c.get(verify_link(newcomer.email))
    for path in ("/dashboard", "/account"):
        assert 'data-testid="verify-banner"' not in c.get(path).get_data(as_text=True)


def test_a_verified_user_sees_no_banner(closer_client: FlaskClient) -> None:
    assert 'data-testid="verify-banner"' not in closer_client.get("/dashboard").get_data(as_text=True)


def test_resending_emails_a_fresh_link_and_is_rate_limited(app: Flask, newcomer: User) -> None:
    c = _logged_in(app, newcomer)
    statuses = [c.post("/account/verify-email/resend", data={"next": "/dashboard"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(verify_emails(newcomer.email)) == 1 + 3  # sign-up + three resends
    assert c.post("/account/verify-email/resend").status_code == 429
    assert len(verify_emails(newcomer.email)) == 4
    assert c.get(verify_link(newcomer.email)).status_code == 200


def test_resend_needs_a_csrf_token_and_a_login(app: Flask, client: FlaskClient, newcomer: User, csrf_enabled) -> None:
    c = _logged_in_with_csrf(app, newcomer)
    assert c.post("/account/verify-email/resend").status_code == 400
    assert client.post("/account/verify-email/resend").status_code in (302, 400)
    assert len(verify_emails(newcomer.email)) == 1


def _logged_in_with_csrf(app: Flask, user: User) -> FlaskClient:
    c = app.test_client()
    html = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert c.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return c


def test_resending_when_already_verified_sends_nothing(closer_client: FlaskClient, closer: User) -> None:
    response = closer_client.post("/account/verify-email/resend", follow_redirects=True)
    assert "already verified" in response.get_data(as_text=True)
    assert verify_emails(closer.email)[-1:] == verify_emails(closer.email)[:1]  # only the sign-up one


# --- admin -----------------------------------------------------------------------------------


def test_the_admin_user_page_shows_the_status_and_resends_audited(
    admin_client: FlaskClient, newcomer: User, admin_user: User
) -> None:
    html = admin_client.get(f"/admin/users/{newcomer.id}").get_data(as_text=True)
    assert "not verified" in html and "Resend verification email" in html
    assert "no email verification flow" not in html
    response = admin_client.post(f"/admin/users/{newcomer.id}/resend-verification")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/users/{newcomer.id}")
    assert len(verify_emails(newcomer.email)) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.verification_resent"))
    assert entry is not None and entry.object_id == str(newcomer.id) and entry.actor_id == admin_user.id


def test_the_admin_cannot_resend_to_a_verified_user_or_a_missing_one(admin_client: FlaskClient, closer: User) -> None:
    before = len(verify_emails(closer.email))
    response = admin_client.post(f"/admin/users/{closer.id}/resend-verification", follow_redirects=True)
    assert "already verified" in response.get_data(as_text=True)
    assert "Resend verification email" not in response.get_data(as_text=True)
    assert admin_client.post("/admin/users/999999/resend-verification").status_code == 404
    assert len(verify_emails(closer.email)) == before and audit_count("account.verification_resent") == 0


def test_only_admins_can_resend_from_the_users_desk(closer_client: FlaskClient, newcomer: User) -> None:
    assert closer_client.post(f"/admin/users/{newcomer.id}/resend-verification").status_code == 403
    assert len(verify_emails(newcomer.email)) == 1


# --- vetting ---------------------------------------------------------------------------------


def test_vetting_refuses_to_approve_a_closer_whose_email_is_not_verified(
    admin_client: FlaskClient, newcomer: User
) -> None:
    queue = admin_client.get("/admin/vetting").get_data(as_text=True)
    assert "Nora Newcomer" in queue and "email not verified" in queue
    response = admin_client.post(f"/admin/vetting/{newcomer.id}", data={"decision": "approve", **CHECKLIST})
    assert response.status_code == 409
    assert "has not verified their email address" in response.get_data(as_text=True)
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW
    assert audit_count("vetting.approved") == 0
    admin_client.get(verify_link(newcomer.email))
    response = admin_client.post(f"/admin/vetting/{newcomer.id}", data={"decision": "approve", **CHECKLIST})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.APPROVED


def test_asking_an_unverified_closer_for_changes_is_still_allowed(admin_client: FlaskClient, newcomer: User) -> None:
    response = admin_client.post(
        f"/admin/vetting/{newcomer.id}", data={"decision": "request_changes", "reason": "Add a photo."}
    )
    assert response.status_code == 302
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.CHANGES_REQUESTED


# --- API -------------------------------------------------------------------------------------


def test_api_me_says_whether_the_email_is_verified(client: FlaskClient, newcomer: User) -> None:
    token = client.post("/api/v1/auth/token", json={"email": newcomer.email, "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json["email_verified"] is False
    client.get(verify_link(newcomer.email))
    assert client.get("/api/v1/me", headers=headers).json["email_verified"] is True
    assert "email_verified_at" not in client.get("/api/v1/me", headers=headers).json


def test_the_openapi_document_describes_email_verified(client: FlaskClient) -> None:
    schema = client.get("/api/v1/openapi.json").json
    user_out = schema["components"]["schemas"]["UserOut"]
    assert user_out["properties"]["email_verified"]["type"] == "boolean"
    assert "email_verified" in user_out["required"]
