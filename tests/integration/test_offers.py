"""Offers through the HTML pages: the price in the user's locale, every field's rules, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Offer
from closerhub.core.errors import NotFound
from closerhub.core.money import Money
from closerhub.extensions import db
from tests.conftest import UserFactory, _logged_in
from tests.integration.test_engagements import make_offer


def offer_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "name": "Founder coaching",
        "price": "2,500",
        "currency": "EUR",
        "description": "Twelve weeks, one-to-one.",
        "sales_cycle_days": "14",
        "closing_script": "Open\nDiscover\nPitch\nClose",
        "qualification_notes": "Revenue above 10k/month.",
        "booking_questions": "What is your revenue?\n\nWho decides?\n",
        "is_active": "y",
        "call_minutes": "45",
        "start_increment_minutes": "15",
    }
    form.update(overrides)
    return form


def offer_rows() -> list[tuple[Any, ...]]:
    """Every offer as stored, re-read from the database."""
    db.session.expire_all()
    rows = db.session.execute(
        select(
            Offer.id,
            Offer.business_id,
            Offer.name,
            Offer.price_amount,
            Offer.price_currency,
            Offer.booking_questions,
            Offer.is_active,
            Offer.booking_key,
            Offer.updated_at,
        ).order_by(Offer.id)
    )
    return [tuple(r) for r in rows]


def test_a_member_creates_an_offer_with_the_price_in_their_locale(
    business_client: FlaskClient, business_user: User
) -> None:
    assert 'value="EUR"' in business_client.get("/offers/new").get_data(as_text=True)  # the business's currency
    response = business_client.post("/offers/new", data=offer_form())
    assert response.status_code == 302 and response.location.endswith("/offers")
    offer = db.session.scalar(select(Offer))
    assert offer.business_id == business_user.business_id
    assert (offer.price_amount, offer.price_currency) == (250000, "EUR")
    assert offer.booking_questions == ["What is your revenue?", "Who decides?"]
    assert offer.sales_cycle_days == 14 and offer.is_active
    assert (offer.call_minutes, offer.start_increment_minutes) == (45, 15)  # the offer sets the call
    assert offer.closing_script == "Open\nDiscover\nPitch\nClose"
    assert len(offer.booking_key) >= 40
    html = business_client.get("/offers").get_data(as_text=True)
    assert "Founder coaching" in html and "€2,500.00" in html


def test_a_french_user_types_the_price_the_french_way(app: Any, make_user: UserFactory) -> None:
    owner = make_user("business", language="fr", business_name="Le Coach")
    client = _logged_in(app, owner)
    response = client.post("/offers/new", data=offer_form(price="2 500,50 €"))
    assert response.status_code == 302
    assert db.session.scalar(select(Offer.price_amount)) == 250050
    edit = client.get(f"/offers/{db.session.scalar(select(Offer.id))}/edit").get_data(as_text=True)
    assert "2\u202f500,50" in edit or "2\xa0500,50" in edit


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"price": "-100"}, "cannot be negative"),
        ({"price": "0"}, "above zero"),
        ({"price": "12.345"}, "at most 2 decimal"),
        ({"price": "lots"}, "Enter an amount"),
        ({"currency": "EUX"}, "Unknown currency"),
        ({"currency": "12€"}, "Unknown currency"),
        ({"booking_questions": "\n".join(f"Question {i}?" for i in range(11))}, "at most 10 booking questions"),
        ({"booking_questions": "Budget?\nbudget?"}, "listed twice"),
        ({"booking_questions": "x" * 201}, "At most 200 characters"),
        ({"name": ""}, "This field is required"),
        ({"sales_cycle_days": "-3"}, "Number must be between 0 and 3650"),
        ({"closing_script": "bad \x1b byte"}, "control characters"),
        ({"call_minutes": "10"}, "Number must be between 15 and 240"),
        ({"call_minutes": "241"}, "Number must be between 15 and 240"),
        ({"call_minutes": ""}, "This field is required"),
        ({"start_increment_minutes": "45"}, "Not a valid choice"),
    ],
)
def test_bad_offer_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    business_client: FlaskClient, business_user: User, overrides: dict[str, str], field_message: str
) -> None:
    response = business_client.post("/offers/new", data=offer_form(**overrides))
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert offer_rows() == []


def test_editing_replaces_the_fields_and_keeps_the_booking_key(
    business_client: FlaskClient, business_user: User
) -> None:
    offer = make_offer(business_user)
    key = offer.booking_key
    response = business_client.post(
        f"/offers/{offer.id}/edit", data=offer_form(name="Renamed", price="3,000", is_active="")
    )
    assert response.status_code == 302
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert (offer.name, offer.price_amount, offer.is_active, offer.booking_key) == ("Renamed", 300000, False, key)


def test_a_bad_edit_changes_nothing(business_client: FlaskClient, business_user: User) -> None:
    offer = make_offer(business_user)
    before = offer_rows()
    response = business_client.post(f"/offers/{offer.id}/edit", data=offer_form(name="Renamed", price="-5"))
    assert response.status_code == 422
    assert offer_rows() == before


def test_another_business_offer_is_404_to_read_edit_or_rekey(
    business_client: FlaskClient, make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Inc")
    theirs = make_offer(rival, "Rival secret offer")
    before = offer_rows()
    assert business_client.get(f"/offers/{theirs.id}/edit").status_code == 404
    assert business_client.post(f"/offers/{theirs.id}/edit", data=offer_form(name="Pwned")).status_code == 404
    assert business_client.post(f"/offers/{theirs.id}/booking-key").status_code == 404
    assert "Rival secret offer" not in business_client.get("/offers").get_data(as_text=True)
    assert offer_rows() == before


def test_closers_cannot_use_the_offer_pages(closer_client: FlaskClient, business_user: User) -> None:
    offer = make_offer(business_user)
    assert closer_client.get("/offers").status_code == 403
    assert closer_client.post("/offers/new", data=offer_form()).status_code == 403
    assert closer_client.get(f"/offers/{offer.id}/edit").status_code == 403


def test_rotating_the_booking_key_retires_the_old_one(business_client: FlaskClient, business_user: User) -> None:
    offer = make_offer(business_user)
    old = offer.booking_key
    assert offer_service.offer_for_booking_key(db.session, old).id == offer.id
    assert business_client.post(f"/offers/{offer.id}/booking-key").status_code == 302
    db.session.expire_all()
    new = db.session.get(Offer, offer.id).booking_key
    assert new != old and offer_service.offer_for_booking_key(db.session, new).id == offer.id
    with pytest.raises(NotFound):
        offer_service.offer_for_booking_key(db.session, old)


def test_booking_keys_are_unique_and_an_inactive_offer_has_no_booking_page(business_user: User) -> None:
    offers = [make_offer(business_user, f"Offer {i}") for i in range(5)]
    assert len({o.booking_key for o in offers}) == 5
    retired = make_offer(business_user, "Retired", active=False)
    with pytest.raises(NotFound):
        offer_service.offer_for_booking_key(db.session, retired.booking_key)


def test_the_service_refuses_a_price_in_an_unknown_currency_before_anything_is_saved(business_user: User) -> None:
    with pytest.raises(Exception, match="Unknown currency"):
        make_offer(business_user, price=Money(100, "EURO"))
    assert offer_rows() == []


def test_every_error_of_a_bad_form_is_shown_at_once(business_client: FlaskClient, business_user: User) -> None:
    response = business_client.post(
        "/offers/new", data=offer_form(name="", price="-5", booking_questions="\n".join(f"Q{i}?" for i in range(11)))
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("This field is required", "cannot be negative", "at most 10 booking questions"):
        assert message in html, message
    assert offer_rows() == []


def test_the_offer_form_needs_its_csrf_token(
    business_client: FlaskClient, business_user: User, csrf_enabled: None
) -> None:
    assert business_client.post("/offers/new", data=offer_form()).status_code == 400
    assert offer_rows() == []
