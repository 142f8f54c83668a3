"""The offer sets the call: the same length whichever closer routing picks, starting every increment.

Two closers on one offer with different own slot lengths (60 and 45 minutes) both take the
offer's 45-minute calls starting every 15 minutes; the API lists a closer's slots for an offer
with ``?offer_id=`` and keeps the closer's own slots without it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.businesses.models import Offer
from closerhub.core.tz import to_local
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.integration.booking_setup import NOW, TUESDAY_9, book, engage, frozen, hours, lead_details, set_hours
from tests.integration.test_api_accounts import bearer
from tests.integration.test_engagements import make_offer

__all__ = ["frozen"]


@pytest.fixture
def two_closers(frozen: datetime, business_user: User, closer: User, make_user: UserFactory) -> dict[str, Any]:
    set_hours(closer, slot_minutes=60)
    other = make_user("closer", email="bruno@example.com", name="Bruno Second")
    set_hours(other, slot_minutes=45)
    offer = make_offer(business_user, call_minutes=45, start_increment_minutes=15)
    engage(business_user, closer, offer)
    engage(business_user, other, offer)
    return {"offer": offer, "claire": closer, "bruno": other, "owner": business_user}


def test_routing_gives_the_offers_length_whichever_closer_takes_the_call(two_closers: dict[str, Any]) -> None:
    offer: Offer = two_closers["offer"]
    start = TUESDAY_9 + timedelta(minutes=15)  # 09:15 Paris: on the offer's grid, on neither closer's own
    first = book(offer, start)
    second = book(offer, start, lead=lead_details(email="second@example.com"))
    assert {first.closer_id, second.closer_id} == {two_closers["claire"].id, two_closers["bruno"].id}
    assert first.ends_at - first.starts_at == second.ends_at - second.starts_at == timedelta(minutes=45)


def test_the_offers_slots_step_by_its_increment_and_last_its_length(two_closers: dict[str, Any]) -> None:
    offer: Offer = two_closers["offer"]
    day = TUESDAY_9.date()
    slots = service.offer_slots(db.session, offer, viewer_zone="Europe/Paris", from_date=day, to_date=day, now=NOW)
    assert slots[0].start == TUESDAY_9 and slots[1].start == TUESDAY_9 + timedelta(minutes=15)
    assert len(slots) == (8 * 60 - 45) // 15 + 1  # 09:00 … 16:15 ends at 17:00
    assert set(slots[0].closer_ids) == {two_closers["claire"].id, two_closers["bruno"].id}


def test_a_start_off_the_offers_grid_is_refused_and_reschedule_keeps_the_offers_length(
    two_closers: dict[str, Any],
) -> None:
    offer: Offer = two_closers["offer"]
    with pytest.raises(service.ValidationError):
        book(offer, TUESDAY_9 + timedelta(minutes=5))
    call = book(offer, TUESDAY_9)
    moved = service.reschedule(
        db.session, call, start=TUESDAY_9 + hours(2.25), actor=None, actor_label="prospect", reason="Clash", now=NOW
    )
    assert moved.ends_at - moved.starts_at == timedelta(minutes=45)


def test_the_slots_api_gives_an_offers_calls_with_offer_id_and_the_closers_own_without(
    client: FlaskClient, two_closers: dict[str, Any], make_user: UserFactory
) -> None:
    owner, claire, offer = two_closers["owner"], two_closers["claire"], two_closers["offer"]
    url = f"/api/v1/closers/{claire.id}/slots?from=2026-06-02&to=2026-06-02&timezone=Europe/Paris"
    own = client.get(url, headers=bearer(owner)).get_json()
    assert (own["slot_minutes"], own["start_increment_minutes"], own["offer_id"]) == (60, 60, None)
    assert len(own["slots"]) == 8
    shaped = client.get(f"{url}&offer_id={offer.id}", headers=bearer(owner)).get_json()
    assert (shaped["slot_minutes"], shaped["start_increment_minutes"], shaped["offer_id"]) == (45, 15, offer.id)
    assert [s["local_start"][11:16] for s in shaped["slots"][:3]] == ["09:00", "09:15", "09:30"]
    # the closer sees their engaged offer; another business's offer is a 404, like a missing one
    assert client.get(f"{url}&offer_id={offer.id}", headers=bearer(claire)).status_code == 200
    stranger = make_user("business", email="other@example.com", business_name="Other Co")
    theirs = make_offer(stranger, name="Theirs")
    for offer_id in (theirs.id, 999999):
        response = client.get(f"{url}&offer_id={offer_id}", headers=bearer(owner))
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get(f"{url}&offer_id={theirs.id}", headers=bearer(claire)).status_code == 404


def test_a_taken_slot_offers_the_nearest_slots_in_the_prospects_daytime_first(
    frozen: datetime, business_user: User, closer: User, client: FlaskClient
) -> None:
    set_hours(closer)  # Paris 09:00-17:00: New York 03:00-11:00
    offer = make_offer(business_user)
    engage(business_user, closer, offer)
    taken = TUESDAY_9 + hours(6)  # 15:00 Paris, 09:00 New York
    book(offer, taken)
    with pytest.raises(service.SlotUnavailable) as refused:
        book(offer, taken, lead=lead_details(email="late@example.com"))  # a New York prospect
    starts = [a.start for a in refused.value.alternatives]
    # 13:00 Paris (07:00 in New York) is nearer than the day before's 16:00, but night for the prospect
    assert TUESDAY_9 + hours(4) not in starts
    assert starts == [TUESDAY_9 - hours(17), TUESDAY_9 + hours(5), TUESDAY_9 + hours(7)]
    assert all(8 <= to_local(s, "America/New_York").hour < 20 for s in starts)
    # the confirm page of the taken slot offers the same daytime times
    page = client.get(f"/book/{offer.booking_key}/confirm?start=2026-06-02T13:00:00Z&tz=America/New_York")
    body = page.get_data(as_text=True)
    assert 'data-testid="slot-taken"' in body and 'value="2026-06-02T11:00:00Z"' not in body
    assert 'value="2026-06-02T12:00:00Z"' in body and 'value="2026-06-02T14:00:00Z"' in body
