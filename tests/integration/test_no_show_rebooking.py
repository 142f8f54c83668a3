"""After a closer no-show, the prospect's rebooking link leaves that closer out and lets the offer's
routing rule pick among the others (not the other closer with the oldest engagement)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.attendance import no_shows
from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory
from tests.integration.booking_setup import (
    NOW,
    TUESDAY_9,
    book,
    engage,
    frozen,
    lead_details,
    second_closer,
    set_hours,
    setting,
)
from tests.integration.test_booking_pages import prospect_form

__all__ = ["frozen", "second_closer", "setting"]

WEDNESDAY_9 = "2026-06-03T07:00:00Z"  # 09:00 in Paris: every closer is free


def test_the_rebooking_link_routes_among_the_other_closers_by_the_offers_rule(
    client: FlaskClient, setting: dict[str, Any], second_closer: Any, make_user: UserFactory
) -> None:
    offer, missed_by = setting["offer"], setting["closer"]
    third = make_user("closer", email="chloe@example.com", name="Chloe Third")
    set_hours(third)
    engage(setting["owner"], third, offer)
    # Booked in this order: the closer who will miss (oldest booking), the third, then the second
    # (the other closer with the oldest engagement, booked most recently).
    missed = book(offer, closer_id=missed_by.id, lead=lead_details(email="paula@example.com"), now=NOW)
    book(offer, closer_id=third.id, lead=lead_details(email="t@example.com"), now=NOW + timedelta(minutes=1))
    book(offer, closer_id=second_closer.id, lead=lead_details(email="s@example.com"), now=NOW + timedelta(minutes=2))

    at = TUESDAY_9 + timedelta(hours=1)
    no_shows.report(db.session, missed, reporter=setting["owner"], note="", now=at)
    apology = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "appointment_closer_missed")
    ).one()
    link = re.search(r"https?://[^\s]+/book/[^\s]+", apology.text_body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert path == f"book/{offer.booking_key}?without={missed_by.id}"

    with clock.frozen_at(at):
        page = client.get(f"/{path}").get_data(as_text=True)
        picker = page.split('<select id="closer"', 1)[1].split("</select>", 1)[0]
        assert f'value="{missed_by.id}"' not in picker and f'value="{third.id}"' in picker
        assert f'name="without" value="{missed_by.id}"' in page and f"without={missed_by.id}" in page
        response = client.post(
            f"/book/{offer.booking_key}/confirm?without={missed_by.id}",
            data=prospect_form(start=WEDNESDAY_9, email="paula@example.com", answer_0="x"),
        )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rebooked = db.session.scalars(select(Appointment).order_by(Appointment.id.desc())).first()
    # The routing rule among the others: the one whose latest booking on the offer is the oldest.
    assert rebooked.closer_id == third.id
    assert rebooked.starts_at.isoformat().startswith("2026-06-03T07:00")


def test_without_the_exclusion_the_same_start_routes_to_the_closer_who_missed(
    client: FlaskClient, setting: dict[str, Any], second_closer: Any
) -> None:
    offer, missed_by = setting["offer"], setting["closer"]
    book(offer, closer_id=missed_by.id, now=NOW)
    book(offer, closer_id=second_closer.id, lead=lead_details(email="s@example.com"), now=NOW + timedelta(minutes=1))
    with clock.frozen_at(TUESDAY_9 + timedelta(hours=1)):
        plain = client.post(f"/book/{offer.booking_key}/confirm", data=prospect_form(start=WEDNESDAY_9))
    assert plain.status_code == 302
    rebooked = db.session.scalars(select(Appointment).order_by(Appointment.id.desc())).first()
    assert rebooked.closer_id == missed_by.id  # the rule alone would give the call back to them
