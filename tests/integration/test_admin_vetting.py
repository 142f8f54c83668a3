"""Closer vetting: new closers wait in review, out of search, until an admin approves them (with a checklist);
changes requested or rejection need a reason; the closer is emailed each time; verified closers carry a badge."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.businesses.offers import OfferData, create_offer
from closerhub.core.errors import ValidationError
from closerhub.core.money import Money
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import PASSWORD, UserFactory

CHECKLIST = {"stripe_onboarded": "y", "languages_checked": "y", "intro_call_held": "y"}


@pytest.fixture
def newcomer(make_user: UserFactory) -> User:
    """A closer fresh from sign-up: in review."""
    return make_user("closer", name="Nora Newcomer", email="nora@example.com", approved=False)


def decide(admin_client: FlaskClient, closer: User, decision: str, **data: str):
    return admin_client.post(f"/admin/vetting/{closer.id}", data={"decision": decision, **data})


def emails_to(address: str) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.template).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)
        )
    )


def test_a_new_closer_is_in_review_and_absent_from_search_html_and_api(
    newcomer: User, business_client: FlaskClient, business_user: User, client: FlaskClient
) -> None:
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW
    assert "Nora Newcomer" not in business_client.get("/closers").get_data(as_text=True)
    token = client.post("/api/v1/auth/token", json={"email": business_user.email, "password": PASSWORD}).json["token"]
    listing = client.get("/api/v1/closers", headers={"Authorization": f"Bearer {token}"}).json
    assert newcomer.id not in [c["id"] for c in listing["data"]]


def test_the_queue_lists_closers_in_review_oldest_first(admin_client: FlaskClient, make_user: UserFactory) -> None:
    make_user("closer", name="First Inline", approved=False)
    make_user("closer", name="Second Inline", approved=False)
    make_user("closer", name="Already Approved")
    html = admin_client.get("/admin/vetting").get_data(as_text=True)
    assert html.index("First Inline") < html.index("Second Inline") and "Already Approved" not in html
    assert "Already Approved" in admin_client.get("/admin/vetting?status=approved").get_data(as_text=True)
    assert "Already Approved" in admin_client.get("/admin/vetting?status=all").get_data(as_text=True)


def test_approving_needs_the_whole_checklist(admin_client: FlaskClient, newcomer: User) -> None:
    response = decide(admin_client, newcomer, "approve", stripe_onboarded="y")
    assert response.status_code == 422
    assert "Tick every item of the checklist" in response.get_data(as_text=True)
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW


def test_an_approved_closer_appears_in_search_with_a_verified_badge_and_is_emailed(
    admin_client: FlaskClient, newcomer: User, business_client: FlaskClient, admin_user: User
) -> None:
    assert decide(admin_client, newcomer, "approve", notes="Great intro call", **CHECKLIST).status_code == 302
    row = db.session.get(CloserVetting, newcomer.id)
    assert row.status == VettingStatus.APPROVED and row.reviewer_id == admin_user.id and row.reviewed_at
    assert row.notes == "Great intro call" and row.checklist_complete
    search = business_client.get("/closers").get_data(as_text=True)
    assert "Nora Newcomer" in search and 'data-testid="verified"' in search
    assert 'data-testid="verified"' in business_client.get(f"/closers/{newcomer.id}").get_data(as_text=True)
    assert emails_to(newcomer.email)[-1] == "vetting_approved"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vetting.approved"))
    assert entry.before["status"] == "in_review" and entry.after["status"] == "approved"


def test_an_unapproved_closers_page_has_no_badge(admin_client: FlaskClient, newcomer: User) -> None:
    # Businesses get a 404 (tests/integration/test_vetting_visibility.py); admins see the page, unbadged.
    html = admin_client.get(f"/closers/{newcomer.id}").get_data(as_text=True)
    assert "Nora Newcomer" in html and 'data-testid="verified"' not in html


def test_asking_for_changes_needs_a_reason_and_the_closer_can_ask_again(
    admin_client: FlaskClient, newcomer: User, app
) -> None:
    refused = decide(admin_client, newcomer, "request_changes")
    assert refused.status_code == 422 and "Give a reason" in refused.get_data(as_text=True)
    decide(admin_client, newcomer, "request_changes", reason="Add your languages and a headline.")
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.CHANGES_REQUESTED
    assert emails_to(newcomer.email)[-1] == "vetting_changes_requested"
    from tests.conftest import _logged_in

    closer_client = _logged_in(app, newcomer)
    dashboard = closer_client.get("/dashboard").get_data(as_text=True)
    assert "changes requested" in dashboard and "Add your languages and a headline." in dashboard
    assert closer_client.post("/vetting/resubmit").status_code == 302
    db.session.expire_all()
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW
    assert "in review" in closer_client.get("/dashboard").get_data(as_text=True)
    again = closer_client.post("/vetting/resubmit", follow_redirects=True).get_data(as_text=True)
    assert "only after changes were requested" in again


def test_rejecting_needs_a_reason_and_tells_the_closer(admin_client: FlaskClient, newcomer: User) -> None:
    assert decide(admin_client, newcomer, "reject", reason="").status_code == 422
    assert decide(admin_client, newcomer, "reject", reason="Could not verify identity.").status_code == 302
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.REJECTED
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == newcomer.email).order_by(OutboxMessage.id.desc())
    )
    assert message.template == "vetting_rejected" and "Could not verify identity." in message.text_body
    assert decide(admin_client, newcomer, "reject", reason="Again").status_code == 409


def test_an_unknown_decision_or_closer_is_refused(admin_client: FlaskClient, newcomer: User, business_user) -> None:
    assert decide(admin_client, newcomer, "promote", **CHECKLIST).status_code == 422
    assert admin_client.get(f"/admin/vetting/{business_user.id}").status_code == 404
    assert admin_client.get("/admin/vetting/999999").status_code == 404


def test_engagements_can_be_proposed_to_approved_closers_only(
    app, newcomer: User, business_user: User, business_client: FlaskClient
) -> None:
    offer = create_offer(
        db.session, business_user, OfferData(name="Widgets", price=Money(1000, "EUR")), now=clock.utcnow()
    )
    with pytest.raises(ValidationError) as caught:
        engagements.propose(
            db.session, business_user, engagements.Proposal(newcomer.id, offer.id, 1500), now=clock.utcnow()
        )
    # Answered like an unknown id: the closer in review stays invisible (name included).
    assert caught.value.field_errors["closer_id"] == "There is no closer with this id."
    assert "Nora" not in caught.value.message
    response = business_client.post(
        f"/engagements/new?closer_id={newcomer.id}", data={"offer_id": offer.id, "rate_percent": "15"}
    )
    assert response.status_code == 404 and "Nora" not in response.get_data(as_text=True)


def test_the_closer_dashboard_explains_the_review(app, newcomer: User) -> None:
    from tests.conftest import _logged_in

    html = _logged_in(app, newcomer).get("/dashboard").get_data(as_text=True)
    assert 'data-testid="vetting-card"' in html and "in review" in html and "intro call" in html


def test_seed_demo_leaves_demo_closers_approved_but_one_in_the_queue(runner, demo: str) -> None:
    closers = list(db.session.scalars(select(User).where(User.role == "closer")))
    status = {c.email: db.session.get(CloserVetting, c.id).status for c in closers}
    assert status.pop("sofia@closers.demo") == VettingStatus.IN_REVIEW  # the admin's vetting queue has one
    assert status and all(s == VettingStatus.APPROVED for s in status.values())
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent


def test_vetting_decisions_need_the_csrf_token(admin_client: FlaskClient, newcomer: User, csrf_enabled) -> None:
    assert decide(admin_client, newcomer, "approve", **CHECKLIST).status_code == 400
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW


def test_the_vetting_pages_are_for_admins_only(
    closer_client: FlaskClient, business_client: FlaskClient, client: FlaskClient, newcomer: User
) -> None:
    for url in ("/admin/vetting", f"/admin/vetting/{newcomer.id}"):
        assert closer_client.get(url).status_code == 403
        assert business_client.get(url).status_code == 403
        assert client.get(url).status_code == 302
    assert closer_client.post(f"/admin/vetting/{newcomer.id}", data={"decision": "approve"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(CloserVetting, newcomer.id).status == VettingStatus.IN_REVIEW
