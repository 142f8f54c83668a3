"""The team of a business: invitations by email link, joining, removing members; and the profile extras."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import AccountStatus, ApiToken, Role, User
from closerhub.businesses import team
from closerhub.businesses.commands import Invitation, JoinTeam
from closerhub.businesses.models import Business, BusinessMember, MemberRole, TeamInvitation
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import PASSWORD, UserFactory, _logged_in
from tests.integration.test_api_accounts import bearer

JOIN_LINK = re.compile(r"http://localhost/businesses/join/([A-Za-z0-9_\-]+)")


def invite(owner: User, email: str, language: str = "en") -> str:
    """Invite ``email`` through the service and return the secret of the emailed link."""
    business = db.session.get(Business, owner.business_id)
    team.invite(
        db.session,
        owner,
        business,
        Invitation(email=email, language=language),
        join_url_for=lambda token: f"http://localhost/businesses/join/{token}",
        now=clock.utcnow(),
    )
    return last_join_token(email)


def last_join_token(email: str) -> str:
    message = db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == email, OutboxMessage.template == "team_invite")
        .order_by(OutboxMessage.id.desc())
    )
    assert message is not None, f"no invitation emailed to {email}"
    match = JOIN_LINK.search(message.text_body)
    assert match is not None and match.group(0) in message.html_body
    return match.group(1)


def add_member(owner: User, email: str, name: str) -> User:
    """A colleague who joined ``owner``'s business through a real invitation."""
    token = invite(owner, email)
    joining = JoinTeam(name=name, password=PASSWORD, timezone="Europe/Paris", language="en")
    return team.accept_invitation(db.session, token, joining, now=clock.utcnow())


def join_form(**overrides: str) -> dict[str, str]:
    form = {"name": "Mia Member", "password": PASSWORD, "timezone": "Europe/London", "language": "fr"}
    form.update(overrides)
    return form


def counts() -> tuple[int, int, int, int]:
    """Users, seats, invitations and emails: what a refused request must leave unchanged."""
    db.session.expire_all()
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, BusinessMember, TeamInvitation, OutboxMessage)
    )


# --- inviting and joining -------------------------------------------------------------------


def test_the_owner_invites_a_colleague_who_joins_as_a_member(
    business_client: FlaskClient, client: FlaskClient, business_user: User
) -> None:
    response = business_client.post(
        f"/businesses/{business_user.business_id}/invitations", data={"email": "Mia@Acme.example", "language": "fr"}
    )
    assert response.status_code == 302
    invitation = db.session.scalar(select(TeamInvitation))
    assert invitation.email == "mia@acme.example" and invitation.language == "fr"
    token = last_join_token("mia@acme.example")
    assert invitation.token_hash == team.hash_token(token) and token not in invitation.token_hash
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "team_invite"))
    assert mail.language == "fr" and "Acme Coaching" in mail.subject

    page = client.get(f"/businesses/join/{token}")
    assert page.status_code == 200 and "mia@acme.example" in page.get_data(as_text=True)
    joined = client.post(f"/businesses/join/{token}", data=join_form())
    assert joined.status_code == 302 and joined.location.endswith("/dashboard")
    user = db.session.scalar(select(User).where(User.email == "mia@acme.example"))
    assert user.role == Role.BUSINESS and user.language == "fr" and user.timezone == "Europe/London"
    assert user.email_verified_at is not None
    assert user.membership.business_id == business_user.business_id and user.membership.role == MemberRole.MEMBER
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None and invitation.accepted_user_id == user.id
    assert "Acme Coaching" in client.get("/dashboard").get_data(as_text=True)
    sent = {(m.template, m.to_address) for m in db.session.scalars(select(OutboxMessage))}
    assert ("welcome", "mia@acme.example") in sent and ("team_invite_accepted", business_user.email) in sent


def test_an_invitation_link_works_only_once(client: FlaskClient, business_user: User) -> None:
    token = invite(business_user, "mia@acme.example")
    assert client.post(f"/businesses/join/{token}", data=join_form()).status_code == 302
    other = FlaskClient(client.application, use_cookies=True)
    before = counts()
    again = other.post(f"/businesses/join/{token}", data=join_form(name="Someone Else"))
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert counts() == before


def test_an_expired_invitation_is_refused(client: FlaskClient, business_user: User) -> None:
    token = invite(business_user, "mia@acme.example")
    before = counts()
    with clock.frozen_at(clock.utcnow() + timedelta(days=7, seconds=1)):
        response = client.post(f"/businesses/join/{token}", data=join_form())
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert counts() == before


def test_a_forged_link_is_refused(client: FlaskClient, business_user: User) -> None:
    invite(business_user, "mia@acme.example")
    before = counts()
    response = client.post("/businesses/join/not-the-secret", data=join_form())
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    assert counts() == before


def test_a_new_invitation_to_the_same_address_replaces_the_old_link(client: FlaskClient, business_user: User) -> None:
    old = invite(business_user, "mia@acme.example")
    new = invite(business_user, "mia@acme.example")
    assert client.get(f"/businesses/join/{old}").status_code == 400
    assert client.get(f"/businesses/join/{new}").status_code == 200


@pytest.mark.parametrize("role", ["closer", "business"])
def test_inviting_an_address_that_has_an_account_is_refused_clearly(
    business_client: FlaskClient, business_user: User, make_user: UserFactory, role: str
) -> None:
    existing = make_user(role, email="taken@example.com")
    before = counts()
    response = business_client.post(
        f"/businesses/{business_user.business_id}/invitations", data={"email": existing.email, "language": "en"}
    )
    assert response.status_code == 409
    assert "belongs to at most one business" in response.get_data(as_text=True)
    assert counts() == before


def test_an_account_opened_after_the_invitation_is_refused_at_the_link(
    client: FlaskClient, business_user: User, make_user: UserFactory
) -> None:
    token = invite(business_user, "mia@acme.example")
    make_user("closer", email="mia@acme.example")
    before = counts()
    for response in (
        client.get(f"/businesses/join/{token}"),
        client.post(f"/businesses/join/{token}", data=join_form()),
    ):
        assert response.status_code == 409
        assert "belongs to at most one business" in response.get_data(as_text=True)
    assert counts() == before


def test_a_logged_in_user_cannot_use_an_invitation(closer_client: FlaskClient, business_user: User) -> None:
    token = invite(business_user, "mia@acme.example")
    before = counts()
    response = closer_client.post(f"/businesses/join/{token}", data=join_form())
    assert response.status_code == 409 and "at most one business" in response.get_data(as_text=True)
    assert counts() == before


def test_a_bad_join_form_shows_the_errors_and_creates_nothing(client: FlaskClient, business_user: User) -> None:
    token = invite(business_user, "mia@acme.example")
    before = counts()
    response = client.post(f"/businesses/join/{token}", data=join_form(timezone="Mars/Olympus", password="short"))
    assert response.status_code == 422
    assert counts() == before
    assert client.get(f"/businesses/join/{token}").status_code == 200  # the link still works


def test_members_cannot_invite_or_remove(app: Any, business_user: User) -> None:
    member = add_member(business_user, "mia@acme.example", "Mia Member")
    other = add_member(business_user, "max@acme.example", "Max Member")
    client = _logged_in(app, member)
    before = counts()
    url = f"/businesses/{business_user.business_id}"
    assert client.post(f"{url}/invitations", data={"email": "new@acme.example", "language": "en"}).status_code == 403
    assert client.post(f"{url}/members/{other.membership.id}/remove").status_code == 403
    assert counts() == before
    assert "Invite a colleague" not in client.get(url).get_data(as_text=True)


def test_another_business_cannot_invite_into_yours(app: Any, business_user: User, make_user: UserFactory) -> None:
    rival = _logged_in(app, make_user("business", business_name="Rival Inc"))
    before = counts()
    response = rival.post(
        f"/businesses/{business_user.business_id}/invitations", data={"email": "x@example.com", "language": "en"}
    )
    assert response.status_code == 404
    assert counts() == before


# --- removing members --------------------------------------------------------------------------


def test_the_owner_removes_a_member_whose_access_ends(
    app: Any, business_client: FlaskClient, business_user: User
) -> None:
    member = add_member(business_user, "mia@acme.example", "Mia Member")
    member_client = _logged_in(app, member)
    _token, secret = tokens.create_token(db.session, member, "funnel", clock.utcnow())
    seat = member.membership.id
    response = business_client.post(f"/businesses/{business_user.business_id}/members/{seat}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BusinessMember, seat) is None
    user = db.session.get(User, member.id)
    assert user.status == AccountStatus.SUSPENDED and user.business_id is None
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == member.id)) is not None
    assert member_client.get("/dashboard").status_code == 302  # logged out
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_owner_cannot_be_removed(business_client: FlaskClient, business_user: User) -> None:
    before = counts()
    seat = business_user.membership.id
    response = business_client.post(f"/businesses/{business_user.business_id}/members/{seat}/remove")
    assert response.status_code == 302
    assert counts() == before
    assert db.session.get(User, business_user.id).status == AccountStatus.ACTIVE


def test_a_removed_member_can_be_invited_back(client: FlaskClient, business_user: User) -> None:
    member = add_member(business_user, "mia@acme.example", "Mia Member")
    team.remove_member(
        db.session,
        business_user,
        db.session.get(Business, business_user.business_id),
        member.membership.id,
        now=clock.utcnow(),
    )
    token = invite(business_user, "mia@acme.example")
    response = client.post(f"/businesses/join/{token}", data=join_form(name="Mia Again"))
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, member.id)
    assert user.status == AccountStatus.ACTIVE and user.name == "Mia Again"
    assert user.business_id == business_user.business_id


# --- the profile extras ------------------------------------------------------------------------


def test_the_owner_sets_industry_and_prospect_languages_and_zones(
    business_client: FlaskClient, business_user: User
) -> None:
    url = f"/businesses/{business_user.business_id}"
    data = {
        "name": "Acme Coaching",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "industry": "coaching",
        "prospect_languages": "fr, EN, fr",
        "prospect_timezones": "Europe/Paris, America/Montreal",
    }
    assert business_client.post(url, data=data).status_code == 302
    business = db.session.get(Business, business_user.business_id)
    assert business.industry == "coaching"
    assert business.prospect_languages == ["fr", "en"]
    assert business.prospect_timezones == ["Europe/Paris", "America/Montreal"]
    html = business_client.get(url).get_data(as_text=True)
    assert 'value="fr, en"' in html and "America/Montreal" in html


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("Paris, new york; Asia/Tokyo", ["Europe/Paris", "America/New_York", "Asia/Tokyo"]),
        ("São Paulo\nsao paulo, London", ["America/Sao_Paulo", "Europe/London"]),
        ("Europe/Paris America/Montreal", ["Europe/Paris", "America/Montreal"]),  # as saved before cities
        (" , ", []),
    ],
)
def test_prospect_zones_are_typed_as_cities_or_time_zones(
    business_client: FlaskClient, business_user: User, typed: str, saved: list[str]
) -> None:
    url = f"/businesses/{business_user.business_id}"
    data = {"name": "Acme Coaching", "timezone": "Europe/Paris", "currency": "EUR", "prospect_timezones": typed}
    assert business_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Business, business_user.business_id).prospect_timezones == saved


def test_a_french_owner_names_cities_in_french_and_an_unknown_place_is_named(
    business_client: FlaskClient, business_user: User
) -> None:
    business_user.language = "fr"  # the page, its messages and the city names it understands
    db.session.commit()
    url = f"/businesses/{business_user.business_id}"
    data = {"name": "Acme Coaching", "timezone": "Europe/Paris", "currency": "EUR", "prospect_timezones": "Londres"}
    assert business_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Business, business_user.business_id).prospect_timezones == ["Europe/London"]
    refused = business_client.post(url, data={**data, "prospect_timezones": "Paris, Atlantis", "name": "Renamed"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Aucun fuseau horaire ne correspond à &#39;Atlantis&#39;\u202f: indiquez une ville (Paris, New York)" in page
    db.session.expire_all()
    business = db.session.get(Business, business_user.business_id)
    assert (business.name, business.prospect_timezones) == ("Acme Coaching", ["Europe/London"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("industry", "astrology"), ("prospect_languages", "fr, xx"), ("prospect_timezones", "Europe/Atlantis")],
)
def test_bad_profile_extras_are_refused_and_change_nothing(
    business_client: FlaskClient, business_user: User, field: str, value: str
) -> None:
    url = f"/businesses/{business_user.business_id}"
    data = {"name": "Renamed", "timezone": "Europe/Paris", "currency": "EUR", field: value}
    response = business_client.post(url, data=data)
    assert response.status_code == 422
    db.session.expire_all()
    business = db.session.get(Business, business_user.business_id)
    assert (business.name, business.industry, business.prospect_languages) == ("Acme Coaching", None, [])


def test_the_api_reads_and_replaces_the_profile_extras(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    body = {
        "name": "Acme",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "industry": "saas",
        "prospect_languages": ["de"],
        "prospect_timezones": ["Europe/Berlin"],
    }
    put = client.put("/api/v1/businesses/me", json=body, headers=headers)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["prospect_languages"] == ["de"] and put.get_json()["industry"] == "saas"
    bad = client.put("/api/v1/businesses/me", json={**body, "prospect_timezones": ["Nowhere/City"]}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "prospect_timezones"
    got = client.get("/api/v1/businesses/me", headers=headers).get_json()
    assert got["prospect_timezones"] == ["Europe/Berlin"]


# --- the team through the API -----------------------------------------------------------------


def test_the_api_lists_the_team_invites_and_removes(client: FlaskClient, business_user: User) -> None:
    headers = bearer(business_user)
    created = client.post(
        "/api/v1/businesses/me/invitations", json={"email": "mia@acme.example", "language": "fr"}, headers=headers
    )
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    assert "token" not in created.get_json()
    pending = client.get("/api/v1/businesses/me/invitations", headers=headers).get_json()["data"]
    assert [i["email"] for i in pending] == ["mia@acme.example"]
    team.accept_invitation(
        db.session,
        last_join_token("mia@acme.example"),
        JoinTeam(name="Mia", password=PASSWORD, timezone="UTC", language="en"),
        now=clock.utcnow(),
    )
    members = client.get("/api/v1/businesses/me/members", headers=headers).get_json()["data"]
    assert [(m["email"], m["role"]) for m in members] == [
        (business_user.email, "owner"),
        ("mia@acme.example", "member"),
    ]
    owner_seat, member_seat = members[0]["id"], members[1]["id"]
    assert client.delete(f"/api/v1/businesses/me/members/{owner_seat}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/businesses/me/members/{member_seat}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/businesses/me/members/{member_seat}", headers=headers).status_code == 404


def test_the_api_refuses_inviting_an_existing_account_and_members_inviting(
    client: FlaskClient, business_user: User, closer: User
) -> None:
    member = add_member(business_user, "mia@acme.example", "Mia Member")
    before = counts()
    taken = client.post(
        "/api/v1/businesses/me/invitations", json={"email": closer.email}, headers=bearer(business_user)
    )
    assert taken.status_code == 409 and taken.get_json()["code"] == "account_exists"
    by_member = client.post(
        "/api/v1/businesses/me/invitations", json={"email": "x@acme.example"}, headers=bearer(member)
    )
    assert by_member.status_code == 403
    db.session.rollback()
    assert counts() == before
