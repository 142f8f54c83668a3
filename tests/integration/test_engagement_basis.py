"""An engagement's commission basis: proposed by the business (API and page), shown beside the rate, kept by
a rate change unless changed, and a change of basis is a new engagement (history kept)."""

from __future__ import annotations

from flask.testing import FlaskClient

from closerhub.accounts.models import User
from closerhub.businesses.models import Offer
from closerhub.engagements.models import CommissionBasis, Engagement, EngagementStatus
from closerhub.extensions import db
from tests.conftest import _logged_in
from tests.integration.test_api_accounts import bearer
from tests.integration.test_api_engagements import body_for
from tests.integration.test_engagements import offer

__all__ = ["offer"]


def test_the_basis_defaults_to_contract_value_and_a_bad_one_is_a_422(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    bad = client.post(
        "/api/v1/engagements",
        json={**body_for(closer, offer), "commission_basis": "vibes"},
        headers=bearer(business_user),
    )
    assert bad.status_code == 422 and db.session.query(Engagement).count() == 0
    made = client.post("/api/v1/engagements", json=body_for(closer, offer), headers=bearer(business_user))
    assert made.status_code == 201 and made.get_json()["commission_basis"] == "contract_value"


def test_changing_the_basis_is_a_new_engagement_the_closer_accepts(
    client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    body = {**body_for(closer, offer), "commission_basis": "cash_collected"}
    first = client.post("/api/v1/engagements", json=body, headers=bearer(business_user)).get_json()
    assert first["commission_basis"] == "cash_collected"
    same = client.post(
        f"/api/v1/engagements/{first['id']}/change-rate",
        json={"commission_rate_bps": 1500, "commission_basis": "cash_collected"},
        headers=bearer(business_user),
    )
    assert same.status_code == 422  # nothing changes: not a new proposal
    changed = client.post(
        f"/api/v1/engagements/{first['id']}/change-rate",
        json={"commission_rate_bps": 1500, "commission_basis": "contract_value"},
        headers=bearer(business_user),
    )
    assert changed.status_code == 201, changed.get_json()
    data = changed.get_json()
    assert data["commission_basis"] == "contract_value" and data["previous_id"] == first["id"]
    db.session.expire_all()
    old = db.session.get(Engagement, first["id"])
    assert old.status == EngagementStatus.WITHDRAWN and old.commission_basis == CommissionBasis.CASH_COLLECTED


def test_the_proposal_page_offers_the_basis_and_the_engagement_page_shows_it(
    app, business_user: User, closer: User, offer: Offer
) -> None:
    business = _logged_in(app, business_user)
    form = business.get(f"/engagements/new?closer_id={closer.id}").get_data(as_text=True)
    assert "On cash collected" in form
    sent = business.post(
        f"/engagements/new?closer_id={closer.id}",
        data={"offer_id": offer.id, "rate_percent": "15", "commission_basis": "cash_collected"},
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    engagement = db.session.query(Engagement).one()
    assert engagement.commission_basis == CommissionBasis.CASH_COLLECTED
    page = _logged_in(app, closer).get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "on cash collected" in page


def test_the_new_rate_form_keeps_the_basis_when_none_is_chosen_and_refuses_an_unknown_one(
    app, business_user: User, closer: User, offer: Offer
) -> None:
    business = _logged_in(app, business_user)
    sent = business.post(
        f"/engagements/new?closer_id={closer.id}",
        data={"offer_id": offer.id, "rate_percent": "15", "commission_basis": "cash_collected"},
    )
    assert sent.status_code == 302
    first = db.session.query(Engagement).one()
    bad = business.post(f"/engagements/{first.id}/rate", data={"rate_percent": "x", "commission_basis": "vibes"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and db.session.query(Engagement).count() == 1
    assert "The commission basis is contract_value or cash_collected." in html
    assert "Enter the commission as a percentage between 10 and 20" in html  # the rate's own error beside it
    kept = business.post(f"/engagements/{first.id}/rate", data={"rate_percent": "16"})
    assert kept.status_code == 302
    db.session.expire_all()
    newest = db.session.query(Engagement).order_by(Engagement.id.desc()).first()
    assert newest.commission_rate_bps == 1600 and newest.commission_basis == CommissionBasis.CASH_COLLECTED
