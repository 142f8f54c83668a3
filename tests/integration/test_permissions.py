"""Roles and tenants: pages answer 403 to the wrong role and 404 for other tenants' objects."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.businesses.models import Business
from closerhub.core.errors import NotFound
from tests.conftest import UserFactory


def test_a_business_user_gets_404_on_another_business_page(
    business_client: FlaskClient, make_user: UserFactory
) -> None:
    other = make_user("business", business_name="Rival Inc")
    response = business_client.get(f"/businesses/{other.business_id}")
    assert response.status_code == 404
    assert "Rival Inc" not in response.get_data(as_text=True)


def test_a_business_user_sees_their_own_business_and_team(business_client: FlaskClient, business_user: User) -> None:
    html = business_client.get(f"/businesses/{business_user.business_id}").get_data(as_text=True)
    assert "Acme Coaching" in html and business_user.email in html


def test_editing_another_business_is_a_404_and_changes_nothing(
    business_client: FlaskClient, make_user: UserFactory, db
) -> None:
    other = make_user("business", business_name="Rival Inc")
    response = business_client.post(
        f"/businesses/{other.business_id}", data={"name": "Pwned", "timezone": "UTC", "currency": "EUR"}
    )
    assert response.status_code == 404
    assert db.session.get(Business, other.business_id).name == "Rival Inc"


def test_the_owner_edits_the_business_profile_with_validation(
    business_client: FlaskClient, business_user: User, db
) -> None:
    url = f"/businesses/{business_user.business_id}"
    bad = business_client.post(
        url, data={"name": "Acme", "timezone": "Nowhere/City", "currency": "XYZ", "website": "not a url"}
    )
    assert bad.status_code == 422
    assert db.session.get(Business, business_user.business_id).timezone == "Europe/Paris"
    ok = business_client.post(
        url,
        data={"name": "Acme Coaching Ltd", "timezone": "Europe/London", "currency": "gbp", "website": "acme.example"},
    )
    assert ok.status_code == 302
    business = db.session.get(Business, business_user.business_id)
    assert (business.name, business.currency, business.website) == ("Acme Coaching Ltd", "GBP", "https://acme.example")


def test_a_closer_cannot_see_any_business_page(closer_client: FlaskClient, business_user: User) -> None:
    assert closer_client.get(f"/businesses/{business_user.business_id}").status_code == 404


def test_admin_pages_are_403_for_closers_and_businesses(
    closer_client: FlaskClient, business_client: FlaskClient
) -> None:
    assert closer_client.get("/admin/").status_code == 403
    assert business_client.get("/admin/").status_code == 403


def test_admin_pages_send_anonymous_visitors_to_log_in(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_admin_lists_and_filters_users(admin_client: FlaskClient, closer: User, business_user: User) -> None:
    html = admin_client.get("/admin/?role=closer").get_data(as_text=True)
    assert closer.email in html and business_user.email not in html
    html = admin_client.get("/admin/?q=acme").get_data(as_text=True)
    assert business_user.email in html and closer.email not in html


def test_find_visible_hides_other_tenants_and_bad_ids(app, business_user: User, make_user: UserFactory) -> None:
    other = make_user("business")
    assert find_visible(Business, business_user.business_id, business_user).id == business_user.business_id
    for object_id in (other.business_id, 10**9, -1, "1", None, True):
        with pytest.raises(NotFound):
            find_visible(Business, object_id, business_user)
    with pytest.raises(NotFound):
        find_visible(Business, business_user.business_id, None)
