"""The users desk: search and filter, a user's page, suspend and reactivate with confirmation and reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import AccountStatus, User
from closerhub.audit.models import AuditEntry
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.errors import Conflict
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.admin_helpers import active_engagement, book_call, make_offer


def suspend(admin_client: FlaskClient, user: User, reason: str = "Fake reviews reported by two businesses.") -> object:
    return admin_client.post(f"/admin/users/{user.id}/suspend", data={"reason": reason, "confirm": "yes"})


def test_the_users_desk_filters_by_role_status_and_text(
    admin_client: FlaskClient, make_user: UserFactory, closer: User, business_user: User
) -> None:
    other = make_user("closer", name="Zed Zebra")
    other.status = AccountStatus.SUSPENDED
    db.session.commit()
    html = admin_client.get("/admin/users?status=suspended").get_data(as_text=True)
    assert "Zed Zebra" in html and "Claire Closer" not in html
    html = admin_client.get("/admin/users?role=business").get_data(as_text=True)
    assert "Omar Owner" in html and "Claire Closer" not in html
    html = admin_client.get("/admin/users?q=zebra&status=active").get_data(as_text=True)
    assert "No users match." in html
    html = admin_client.get("/admin/users?role=nonsense&status=nonsense").get_data(as_text=True)
    assert "Zed Zebra" in html and "Claire Closer" in html  # unknown filters are ignored, not a 500


def test_a_users_page_shows_profile_vetting_engagements_and_appointments(
    admin_client: FlaskClient, closer: User, business_user: User
) -> None:
    engagement = active_engagement(business_user, closer)
    book_call(engagement, clock.utcnow() + timedelta(days=2))
    html = admin_client.get(f"/admin/users/{closer.id}").get_data(as_text=True)
    assert "closer@example.com" in html and 'data-testid="vetting-status"' in html
    assert "Mindset Mastery" in html and "Acme Coaching" in html
    assert "Booked" in html
    assert 'data-testid="email-verification"' in html and "verified" in html  # the fixture closer is verified
    business_html = admin_client.get(f"/admin/users/{business_user.id}").get_data(as_text=True)
    assert "Claire Closer" in business_html and "Acme Coaching" in business_html
    assert admin_client.get("/admin/users/999999").status_code == 404


def test_suspending_asks_for_confirmation_first(admin_client: FlaskClient, closer: User) -> None:
    page = admin_client.get(f"/admin/users/{closer.id}/suspend")
    assert page.status_code == 200 and "Suspend Claire Closer?" in page.get_data(as_text=True)
    unconfirmed = admin_client.post(f"/admin/users/{closer.id}/suspend", data={"reason": "Spam"})
    assert unconfirmed.status_code == 422
    db.session.refresh(closer)
    assert closer.status == AccountStatus.ACTIVE


def test_suspending_without_a_reason_is_refused_and_changes_nothing(admin_client: FlaskClient, closer: User) -> None:
    response = suspend(admin_client, closer, reason="   ")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True) or "Give a reason" in response.get_data(
        as_text=True
    )
    db.session.refresh(closer)
    assert closer.status == AccountStatus.ACTIVE
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.suspended")) is None


def test_a_suspended_user_is_logged_out_cannot_log_in_and_their_tokens_are_refused(
    admin_client: FlaskClient, closer_client: FlaskClient, closer: User, auth, client: FlaskClient
) -> None:
    _token, secret = tokens.create_token(db.session, closer, "cli", clock.utcnow())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert suspend(admin_client, closer).status_code == 302
    assert closer_client.get("/dashboard").status_code == 302  # the session no longer counts
    login = auth.login(closer.email)
    assert login.status_code == 401 and "suspended" in login.get_data(as_text=True)
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401 and api.json["code"] == "account_suspended"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.suspended"))
    assert entry.after == {"status": "suspended", "reason": "Fake reviews reported by two businesses."}
    assert entry.ip == "127.0.0.1"


def test_a_suspended_closer_leaves_search_and_cannot_be_booked(
    admin_client: FlaskClient, business_client: FlaskClient, closer: User, business_user: User
) -> None:
    engagement = active_engagement(business_user, closer)
    assert "Claire Closer" in business_client.get("/closers").get_data(as_text=True)
    suspend(admin_client, closer)
    assert "Claire Closer" not in business_client.get("/closers").get_data(as_text=True)
    with pytest.raises(Conflict) as caught:
        engagements.require_active_engagement(db.session, engagement.id, business_user.business_id)
    assert caught.value.code == "closer_unavailable"


def test_the_suspend_page_lists_upcoming_calls_and_then_says_what_became_of_each(
    admin_client: FlaskClient, make_user: UserFactory, closer: User, business_user: User
) -> None:
    other = make_user("business", business_name="Globex")
    now = clock.utcnow()
    first = active_engagement(business_user, closer)
    book_call(first, now + timedelta(days=1))
    book_call(first, now + timedelta(days=3))
    past = book_call(first, now - timedelta(days=3))  # past: not touched
    book_call(active_engagement(other, closer, make_offer(other, "Widgets")), now + timedelta(days=2))
    page = admin_client.get(f"/admin/users/{closer.id}/suspend").get_data(as_text=True)
    assert "3 upcoming calls are booked with them" in page
    done = suspend(admin_client, closer)
    assert done.status_code == 200
    assert done.get_data(as_text=True).count("cancelled; the prospect got a link to book again") == 3  # nobody else
    db.session.expire_all()
    assert db.session.get(Appointment, past.id).status == AppointmentStatus.BOOKED
    booked = select(Appointment).where(
        Appointment.closer_id == closer.id, Appointment.status == AppointmentStatus.BOOKED
    )
    assert [a.id for a in db.session.scalars(booked)] == [past.id]


def test_reactivating_restores_access_with_a_reason(
    admin_client: FlaskClient, closer: User, auth, business_client: FlaskClient
) -> None:
    suspend(admin_client, closer)
    assert admin_client.post(f"/admin/users/{closer.id}/reactivate", data={"confirm": "yes"}).status_code == 422
    response = admin_client.post(
        f"/admin/users/{closer.id}/reactivate", data={"reason": "Cleared after review.", "confirm": "yes"}
    )
    assert response.status_code == 302
    db.session.refresh(closer)
    assert closer.status == AccountStatus.ACTIVE
    assert auth.login(closer.email).status_code == 302
    assert "Claire Closer" in business_client.get("/closers").get_data(as_text=True)
    actions = list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(closer.id)).order_by(AuditEntry.id)
        )
    )
    assert actions[-2:] == ["account.suspended", "account.reactivated"]


def test_suspending_twice_or_oneself_is_refused(admin_client: FlaskClient, admin_user: User, closer: User) -> None:
    assert suspend(admin_client, admin_user).status_code == 409
    suspend(admin_client, closer)
    again = suspend(admin_client, closer)
    assert again.status_code == 409 and "already suspended" in again.get_data(as_text=True)


def test_suspending_needs_the_csrf_token(admin_client: FlaskClient, closer: User, csrf_enabled) -> None:
    response = suspend(admin_client, closer)
    assert response.status_code == 400
    db.session.refresh(closer)
    assert closer.status == AccountStatus.ACTIVE


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/users/{id}", "/admin/users/{id}/suspend"])
def test_the_users_desk_is_for_admins_only(
    path: str, closer_client: FlaskClient, business_client: FlaskClient, client: FlaskClient, closer: User
) -> None:
    url = path.format(id=closer.id)
    assert closer_client.get(url).status_code == 403
    assert business_client.get(url).status_code == 403
    assert client.get(url).status_code == 302
    assert closer_client.post(url, data={"reason": "x", "confirm": "yes"}).status_code in (403, 405)
