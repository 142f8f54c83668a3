"""The audit trail: append-only in the database, written by every flow that changes permissions,
engagements and account status, in the caller's transaction, browsable by admins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.audit.service import record
from closerhub.businesses import team
from closerhub.businesses.commands import Invitation, JoinTeam
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from tests.conftest import PASSWORD, UserFactory
from tests.integration.admin_helpers import active_engagement, make_offer


def actions(object_type: str | None = None) -> list[str]:
    stmt = select(AuditEntry.action).order_by(AuditEntry.id)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    return list(db.session.scalars(stmt))


def test_updating_an_audit_row_is_refused_by_the_database(app, admin_user: User) -> None:
    record(db.session, actor=admin_user, action="test.recorded", obj=admin_user, after={"x": 1}, now=clock.utcnow())
    db.session.commit()
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("UPDATE audit_entries SET action = 'tampered'"))
        db.session.flush()
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert "tampered" not in actions()


@pytest.mark.postgres
def test_deleting_an_audit_row_is_refused_on_postgresql(app, admin_user: User) -> None:
    record(db.session, actor=admin_user, action="test.recorded", obj=admin_user, now=clock.utcnow())
    db.session.commit()
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("DELETE FROM audit_entries"))
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert "test.recorded" in actions()


def test_record_never_commits_so_a_rolled_back_change_leaves_no_trace(app, admin_user: User) -> None:
    before = len(actions())
    record(db.session, actor=admin_user, action="test.rolled_back", obj=("thing", 1), now=clock.utcnow())
    db.session.rollback()
    assert len(actions()) == before


def test_record_outside_a_request_has_no_ip_and_names_the_system(app) -> None:
    entry = record(
        db.session,
        actor=None,
        action="test.job",
        obj=("job", "sweep"),
        after={"when": clock.utcnow()},
        now=clock.utcnow(),
    )
    db.session.commit()
    assert (entry.ip, entry.actor_label, entry.actor_id) == (None, "system", None)
    assert isinstance(entry.after["when"], str)  # instants stored as ISO 8601


def test_a_use_case_stamps_its_audit_row_and_its_email_with_the_one_instant_it_was_given(
    app, make_user: UserFactory
) -> None:
    from closerhub.notifications.models import OutboxMessage

    user = make_user("closer")
    at = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # not the clock's time: the service never reads the clock
    accounts.change_password(db.session, user, PASSWORD, "another-horse-battery-staple", now=at)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.password_changed")).one()
    email = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "password_changed")).one()
    assert entry.at == at and email.created_at == at


def test_account_changes_are_audited_with_the_requests_ip(client: FlaskClient, auth, make_user: UserFactory) -> None:
    user = make_user("business", email="bea@example.com")
    auth.login("bea@example.com")
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another-long-password",
            "confirm": "another-long-password",
        },
    )
    client.post("/account/email", data={"password": "another-long-password", "email": "bea2@example.com"})
    rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(user.id))))
    by_action = {r.action: r for r in rows}
    assert {"account.created", "account.password_changed", "account.email_changed"} <= set(by_action)
    changed = by_action["account.email_changed"]
    assert changed.before == {"email": "bea@example.com"} and changed.after == {"email": "bea2@example.com"}
    assert changed.ip == "127.0.0.1" and changed.actor_id == user.id
    assert "password_hash" not in str(by_action["account.password_changed"].after)


def test_admin_creation_and_api_tokens_are_audited(app, make_user: UserFactory) -> None:
    admin = accounts.create_admin(
        db.session, email="root@example.com", password=PASSWORD, name="Root", now=clock.utcnow()
    )
    token, _secret = tokens.create_token(db.session, admin, "scripts", clock.utcnow())
    tokens.revoke_token(db.session, admin, token.id, clock.utcnow())
    assert actions("user") == ["account.admin_created"]
    assert actions("api_token") == ["api_token.created", "api_token.revoked"]


def test_every_engagement_transition_is_audited_with_before_and_after(
    app, make_user: UserFactory, business_user: User, closer: User
) -> None:
    offer = make_offer(business_user)
    first = active_engagement(business_user, closer, offer)
    replacement = engagements.change_rate(
        db.session, business_user, first.id, engagements.RateChange(1800), now=clock.utcnow()
    )
    engagements.decline(db.session, closer, replacement.id, "Too busy this month.", now=clock.utcnow())
    other_offer = make_offer(business_user, "Other")
    proposal = engagements.propose(
        db.session, business_user, engagements.Proposal(closer.id, other_offer.id, 1200), now=clock.utcnow()
    )
    engagements.withdraw(db.session, business_user, proposal.id, now=clock.utcnow())
    third = active_engagement(business_user, closer, make_offer(business_user, "Third"))
    engagements.end(db.session, closer, third.id, "Moving on", now=clock.utcnow())
    assert actions("engagement") == [
        "engagement.proposed",
        "engagement.accepted",
        "engagement.replaced",
        "engagement.rate_changed",
        "engagement.declined",
        "engagement.proposed",
        "engagement.withdrawn",
        "engagement.proposed",
        "engagement.accepted",
        "engagement.ended",
    ]
    accepted = db.session.scalar(  # the first of two (PostgreSQL returns rows in no set order)
        select(AuditEntry).where(AuditEntry.action == "engagement.accepted").order_by(AuditEntry.id)
    )
    assert accepted.before["status"] == "proposed" and accepted.after["status"] == "active"
    assert accepted.actor_id == closer.id and accepted.object_id == str(first.id)
    rate = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "engagement.rate_changed"))
    assert rate.before["commission_rate_bps"] == 1500 and rate.after["commission_rate_bps"] == 1800


def test_team_invitations_and_member_changes_are_audited(app, business_user: User) -> None:
    business = business_user.membership.business
    invitation = team.invite(
        db.session,
        business_user,
        business,
        Invitation(email="new@acme.example", language="en"),
        join_url_for=lambda t: t,
        now=clock.utcnow(),
    )
    team.revoke_invitation(db.session, business_user, business, invitation.id, now=clock.utcnow())
    second = team.invite(
        db.session,
        business_user,
        business,
        Invitation(email="sam@acme.example", language="en"),
        join_url_for=lambda t: f"x{t}",
        now=clock.utcnow(),
    )
    secret = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(second.id)))
    assert secret is not None
    assert actions("team_invitation") == ["team.invited", "team.invitation_revoked", "team.invited"]
    # Joining needs the link's secret, which only the email has: read it from the outbox.
    from closerhub.notifications.models import OutboxMessage

    body = db.session.scalars(select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc())).first()
    token = next(word for word in body.split() if word.startswith("x"))[1:]
    joining = JoinTeam(name="Sam", password=PASSWORD, timezone="UTC", language="en")
    member = team.accept_invitation(db.session, token, joining, now=clock.utcnow())
    team.remove_member(db.session, business_user, business, member.membership.id, now=clock.utcnow())
    assert "team.joined" in actions("team_invitation")
    removed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.member_removed"))
    assert removed.object_id == str(member.id) and removed.after["status"] == "suspended"


def test_the_audit_page_filters_by_actor_action_object_and_date(
    admin_client: FlaskClient, admin_user: User, business_user: User, closer: User
) -> None:
    engagement = active_engagement(business_user, closer)
    page = admin_client.get("/admin/audit?action=engagement.")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and "<code>engagement.accepted</code>" in html
        and "<code>account.created</code>" not in html
    )
    html = admin_client.get(f"/admin/audit?actor={closer.id}").get_data(as_text=True)
    assert "<code>engagement.accepted</code>" in html and "<code>engagement.proposed</code>" not in html
    html = admin_client.get("/admin/audit?actor=omar").get_data(as_text=True)
    assert "<code>engagement.proposed</code>" in html and "<code>engagement.accepted</code>" not in html
    html = admin_client.get(f"/admin/audit?object_type=engagement&object_id={engagement.id}").get_data(as_text=True)
    assert html.count("<code>engagement.") == 2
    today = clock.utcnow().date().isoformat()
    assert "<code>engagement.accepted</code>" in admin_client.get(
        f"/admin/audit?date_from={today}&date_to={today}"
    ).get_data(as_text=True)
    html = admin_client.get("/admin/audit?date_to=2000-01-01").get_data(as_text=True)
    assert "No entries match." in html


def test_the_audit_page_refuses_a_bad_date_with_a_clear_message(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/audit?date_from=31/12/2026")
    assert response.status_code == 422
    assert "Use a date such as 2026-12-31." in response.get_data(as_text=True)
    response = admin_client.get("/admin/audit?date_from=2026-12-31&date_to=2026-01-01")
    assert response.status_code == 422


def test_the_audit_page_is_paginated(admin_client: FlaskClient, admin_user: User) -> None:
    with clock.frozen_at(datetime(2026, 1, 1, tzinfo=UTC)):
        for i in range(55):
            record(db.session, actor=admin_user, action="test.bulk", obj=("thing", i), now=clock.utcnow())
        db.session.commit()
    first = admin_client.get("/admin/audit?action=test.bulk").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count("<code>test.bulk</code>") == 50
    second = admin_client.get("/admin/audit?action=test.bulk&page=2").get_data(as_text=True)
    assert second.count("<code>test.bulk</code>") == 5
    assert admin_client.get("/admin/audit?page=99999999999999999999").status_code == 200


def test_only_admins_see_the_audit_trail(client: FlaskClient, closer_client: FlaskClient, business_client) -> None:
    assert closer_client.get("/admin/audit").status_code == 403
    assert business_client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit").status_code == 302


def test_a_users_page_shows_their_history(admin_client: FlaskClient, closer: User) -> None:
    html = admin_client.get(f"/admin/users/{closer.id}").get_data(as_text=True)
    assert 'data-testid="audit-history"' in html and "account.created" in html and "vetting.approved" in html
