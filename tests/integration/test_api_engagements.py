"""Engagements through the JSON API: 201/403/404/409/422 as documented, and nothing changed on refusal."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.businesses.models import Offer
from closerhub.engagements import service
from closerhub.engagements.models import EngagementStatus
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.test_api_accounts import bearer, error_fields
from tests.integration.test_engagements import engagement_rows, make_offer, offer, propose, set_min_rate, state

__all__ = ["offer"]  # the fixture, shared with test_engagements.py


def body_for(closer: User, offer: Offer, bps: int = 1500) -> dict[str, Any]:
    return {"closer_id": closer.id, "offer_id": offer.id, "commission_rate_bps": bps}


def test_a_business_proposes_and_gets_201_with_status_proposed(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    response = client.post("/api/v1/engagements", json=body_for(closer, offer), headers=bearer(business_user))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["status"] == "proposed" and data["commission_rate_bps"] == 1500 and data["can_book"] is False
    assert data["closer"]["id"] == closer.id and data["business"]["name"] == "Acme Coaching"
    assert data["offer"]["closing_script"].startswith("1. Rapport") and data["offer"]["price"]["amount"] == 250000
    assert data["proposed_by_id"] == business_user.id and data["proposed_at"].endswith("Z")
    assert [(r[0], r[1]) for r in engagement_rows()] == [(data["id"], EngagementStatus.PROPOSED)]


def test_an_idempotency_key_replays_the_proposal_without_a_second_row_or_email(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    headers = {**bearer(business_user), "Idempotency-Key": "propose-claire-1"}
    first = client.post("/api/v1/engagements", json=body_for(closer, offer), headers=headers)
    after_first = state()
    again = client.post("/api/v1/engagements", json=body_for(closer, offer), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert state() == after_first
    other_body = client.post("/api/v1/engagements", json=body_for(closer, offer, 1600), headers=headers)
    assert other_body.status_code == 409 and state() == after_first


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("rate 999", 422, "commission_rate_bps"),
        ("rate 2001", 422, "commission_rate_bps"),
        ("rate as a string", 422, "commission_rate_bps"),
        ("rate as a float", 422, "commission_rate_bps"),
        ("below the closer's minimum", 422, "commission_rate_bps"),
        ("offer of another business", 422, "offer_id"),
        ("inactive offer", 422, "offer_id"),
        ("unknown closer", 422, "closer_id"),
        ("closer id that is a business user", 422, "closer_id"),
        ("closer id that is an admin", 422, "closer_id"),
        ("missing offer", 422, "offer_id"),
    ],
)
def test_every_bad_proposal_is_refused_clearly_and_changes_nothing(
    client: FlaskClient,
    business_user: User,
    closer: User,
    offer: Offer,
    make_user: UserFactory,
    case: str,
    status: int,
    field: str,
) -> None:
    body: dict[str, Any] = body_for(closer, offer)
    if case == "rate 999":
        body["commission_rate_bps"] = 999
    elif case == "rate 2001":
        body["commission_rate_bps"] = 2001
    elif case == "rate as a string":
        body["commission_rate_bps"] = "1500"
    elif case == "rate as a float":
        body["commission_rate_bps"] = 1500.0
    elif case == "below the closer's minimum":
        set_min_rate(closer, 1750)
        body["commission_rate_bps"] = 1700
    elif case == "offer of another business":
        body["offer_id"] = make_offer(make_user("business", business_name="Rival Inc"), "Rival offer").id
    elif case == "inactive offer":
        body["offer_id"] = make_offer(business_user, "Retired", active=False).id
    elif case == "unknown closer":
        body["closer_id"] = 999999
    elif case == "closer id that is a business user":
        body["closer_id"] = make_user("business").id
    elif case == "closer id that is an admin":
        body["closer_id"] = make_user("admin").id
    elif case == "missing offer":
        del body["offer_id"]
    headers = bearer(business_user)
    before = state()
    response = client.post("/api/v1/engagements", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in error_fields(response)
    assert state() == before


def test_the_minimum_rate_message_names_the_closer_and_the_minimum(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    set_min_rate(closer, 1250)
    response = client.post("/api/v1/engagements", json=body_for(closer, offer, 1200), headers=bearer(business_user))
    assert response.status_code == 422
    assert response.get_json()["detail"] == (
        "Claire Closer accepts engagements from 12.5 % (1250 bps); propose at least that."
    )


def test_a_closer_cannot_propose(client: FlaskClient, business_user: User, closer: User, offer: Offer) -> None:
    response = client.post("/api/v1/engagements", json=body_for(closer, offer), headers=bearer(closer))
    assert response.status_code == 403 and engagement_rows() == []


def test_a_second_proposal_while_one_is_open_is_a_409(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    headers = bearer(business_user)
    assert client.post("/api/v1/engagements", json=body_for(closer, offer), headers=headers).status_code == 201
    before = state()
    again = client.post("/api/v1/engagements", json=body_for(closer, offer, 1800), headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "engagement_exists"
    assert state() == before


def test_the_closer_accepts_and_the_engagement_becomes_bookable(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    response = client.post(f"/api/v1/engagements/{engagement.id}/accept", headers=bearer(closer))
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "active" and data["can_book"] is True and data["accepted_at"].endswith("Z")
    again = client.post(f"/api/v1/engagements/{engagement.id}/accept", headers=bearer(closer))
    assert again.status_code == 409 and again.get_json()["code"] == "illegal_transition"


def test_the_business_accepting_is_403_and_another_closer_is_404(
    client: FlaskClient, business_user: User, closer: User, offer: Offer, make_user: UserFactory
) -> None:
    engagement = propose(business_user, closer, offer)
    other_closer = make_user("closer", name="Oscar Other")
    before = state()
    url = f"/api/v1/engagements/{engagement.id}/accept"
    assert client.post(url, headers=bearer(business_user)).status_code == 403
    assert client.post(url, headers=bearer(other_closer)).status_code == 404
    assert client.get(f"/api/v1/engagements/{engagement.id}", headers=bearer(other_closer)).status_code == 404
    assert state() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, None])
def test_declining_without_a_reason_is_a_422_and_changes_nothing(
    client: FlaskClient, business_user: User, closer: User, offer: Offer, body: dict[str, str] | None
) -> None:
    engagement = propose(business_user, closer, offer)
    before = state()
    url = f"/api/v1/engagements/{engagement.id}/decline"
    response = (
        client.post(url, json=body, headers=bearer(closer))
        if body is not None
        else client.post(url, headers=bearer(closer))
    )
    assert response.status_code == 422
    assert state() == before


def test_the_closer_declines_with_a_reason(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    response = client.post(
        f"/api/v1/engagements/{engagement.id}/decline", json={"reason": "Not my industry."}, headers=bearer(closer)
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "declined" and response.get_json()["decline_reason"] == "Not my industry."


def test_end_takes_an_optional_body_and_only_ends_active_engagements(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    url = f"/api/v1/engagements/{engagement.id}/end"
    before = state()
    assert client.post(url, headers=bearer(business_user)).status_code == 409
    assert state() == before
    service.accept(db.session, closer, engagement.id, now=clock.utcnow())
    response = client.post(url, headers=bearer(business_user))
    assert response.status_code == 200 and response.get_json()["status"] == "ended"
    assert response.get_json()["ended_by_id"] == business_user.id and response.get_json()["end_reason"] is None
    second = propose(business_user, closer, offer)
    service.accept(db.session, closer, second.id, now=clock.utcnow())
    with_reason = client.post(
        f"/api/v1/engagements/{second.id}/end", json={"reason": "Season over"}, headers=bearer(closer)
    )
    assert with_reason.get_json()["end_reason"] == "Season over"
    bad = client.post(
        f"/api/v1/engagements/{second.id}/end",
        data="{oops",
        headers={**bearer(closer), "Content-Type": "application/json"},
    )
    assert bad.status_code == 422


def test_withdraw_is_for_the_business_and_proposals_only(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    url = f"/api/v1/engagements/{engagement.id}/withdraw"
    assert client.post(url, headers=bearer(closer)).status_code == 403
    response = client.post(url, headers=bearer(business_user))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert client.post(url, headers=bearer(business_user)).status_code == 409


def test_a_rate_change_is_a_new_engagement_with_the_history_kept(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer, 1500)
    service.accept(db.session, closer, engagement.id, now=clock.utcnow())
    headers = bearer(business_user)
    response = client.post(
        f"/api/v1/engagements/{engagement.id}/change-rate", json={"commission_rate_bps": 1650}, headers=headers
    )
    assert response.status_code == 201
    new = response.get_json()
    assert new["status"] == "proposed" and new["previous_id"] == engagement.id and new["commission_rate_bps"] == 1650
    old = client.get(f"/api/v1/engagements/{engagement.id}", headers=headers).get_json()
    assert old["status"] == "ended" and old["commission_rate_bps"] == 1500
    listed = client.get(f"/api/v1/engagements?offer_id={offer.id}", headers=headers).get_json()["data"]
    assert [(e["id"], e["status"]) for e in listed] == [(engagement.id, "ended"), (new["id"], "proposed")]
    before = state()
    bad = client.post(
        f"/api/v1/engagements/{new['id']}/change-rate", json={"commission_rate_bps": 2500}, headers=headers
    )
    assert bad.status_code == 422 and state() == before


def test_lists_are_scoped_to_the_caller_and_paginated(
    client: FlaskClient, business_user: User, closer: User, make_user: UserFactory
) -> None:
    offers = [make_offer(business_user, f"Offer {i}") for i in range(3)]
    for o in offers:
        propose(business_user, closer, o)
    other_closer = make_user("closer")
    propose(business_user, other_closer, offers[0])
    rival = make_user("business", business_name="Rival Inc")

    page1 = client.get("/api/v1/engagements?limit=2", headers=bearer(business_user)).get_json()
    assert len(page1["data"]) == 2 and page1["next_cursor"]
    page2 = client.get(
        f"/api/v1/engagements?limit=2&cursor={page1['next_cursor']}", headers=bearer(business_user)
    ).get_json()
    assert len(page2["data"]) == 2 and page2["next_cursor"] is None
    mine = client.get("/api/v1/engagements", headers=bearer(closer)).get_json()["data"]
    assert len(mine) == 3 and {e["closer"]["id"] for e in mine} == {closer.id}
    assert client.get("/api/v1/engagements", headers=bearer(rival)).get_json()["data"] == []
    proposed = client.get("/api/v1/engagements?status=active", headers=bearer(closer)).get_json()["data"]
    assert proposed == []
    assert client.get("/api/v1/engagements?status=bogus", headers=bearer(closer)).status_code == 422


def test_another_tenants_engagement_is_a_404_everywhere(
    client: FlaskClient, business_user: User, closer: User, offer: Offer, make_user: UserFactory
) -> None:
    engagement = propose(business_user, closer, offer)
    rival = make_user("business", business_name="Rival Inc")
    headers = bearer(rival)
    before = state()
    for method, path in (
        ("get", ""),
        ("post", "/withdraw"),
        ("post", "/end"),
        ("post", "/change-rate"),
    ):
        kwargs: dict[str, Any] = {"headers": headers}
        if path == "/change-rate":
            kwargs["json"] = {"commission_rate_bps": 1600}
        response = getattr(client, method)(f"/api/v1/engagements/{engagement.id}{path}", **kwargs)
        assert response.status_code == 404, (path, response.get_json())
    assert state() == before


def test_the_engagement_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/engagements",
        "/api/v1/engagements/{engagement_id}",
        "/api/v1/engagements/{engagement_id}/accept",
        "/api/v1/engagements/{engagement_id}/decline",
        "/api/v1/engagements/{engagement_id}/end",
    ):
        assert path in paths, path
