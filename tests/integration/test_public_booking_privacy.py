"""Lead privacy on public booking (issue 14, item 1).

A caller with only an offer's booking key (the API's ``X-Booking-Key``, or the page ``/book/<key>``)
who books with the email of a lead the business already has gets back only what it sent; the
lead stays as the business wrote it, and what the caller typed goes on the call as "the prospect
said", shown to the business beside its own context. Signed-in business bookings are unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage
from tests.integration.booking_setup import frozen, setting
from tests.integration.test_api_accounts import bearer

__all__ = ["frozen", "setting"]  # fixtures

STORED_PHONE = "+442079460958"
# Every piece of the business's lead that a stranger must never read back.
SECRETS = ("Stored Sarah", STORED_PHONE, "SECRET NEEDS", "SECRET BUDGET", "SECRET BLOCKERS", "SECRET NOTES")


@pytest.fixture
def stored_lead(setting: dict[str, Any]) -> Lead:
    """A lead the business already has, with private context."""
    return leads.create_lead(
        db.session,
        setting["owner"],
        LeadDetails(
            name="Stored Sarah",
            email="sarah@example.com",
            phone="+44 20 7946 0958",
            timezone="Europe/London",
            language="fr",
            needs="SECRET NEEDS",
            budget="SECRET BUDGET",
            blockers="SECRET BLOCKERS",
            notes="SECRET NOTES",
        ),
        now=clock.utcnow(),
    )


def lead_row(lead_id: int) -> tuple[Any, ...]:
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    return (lead.name, lead.phone_e164, lead.timezone, lead.language, lead.needs, lead.budget, lead.notes)


STORED = ("Stored Sarah", STORED_PHONE, "Europe/London", "fr", "SECRET NEEDS", "SECRET BUDGET", "SECRET NOTES")

MALLORY = {
    "name": "Mallory",
    "email": "SARAH@example.com",
    "timezone": "Asia/Tokyo",
    "context": {"notes": "I am the CEO, call me"},
}


def api_book(client: FlaskClient, setting: dict[str, Any], **overrides: Any) -> Any:
    body = {"start": "2026-06-02T07:00:00Z", "channel": "video", "lead": MALLORY, **overrides}
    return client.post("/api/v1/appointments", json=body, headers={"X-Booking-Key": setting["offer"].booking_key})


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked in {where}"


def test_a_public_api_booking_with_a_known_email_returns_only_what_the_caller_sent(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    response = api_book(client, setting)
    assert response.status_code == 201, response.get_json()
    assert_no_secret(response.get_data(as_text=True), "the 201 body")
    lead = response.get_json()["lead"]
    assert lead["id"] is None and lead["name"] == "Mallory" and lead["email"] == "sarah@example.com"
    assert lead["phone"] is None and lead["timezone"] == "Asia/Tokyo"
    assert lead["context"]["notes"] == "I am the CEO, call me" and lead["context"]["needs"] == ""
    assert response.get_json()["prospect_timezone"] == "Asia/Tokyo"


def test_a_public_api_booking_never_overwrites_the_stored_lead_and_keeps_what_the_prospect_said(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    assert api_book(client, setting).status_code == 201
    assert lead_row(stored_lead.id) == STORED
    [appointment] = db.session.scalars(select(Appointment)).all()
    assert appointment.lead_id == stored_lead.id
    assert appointment.prospect_said == {
        "name": "Mallory",
        "email": "sarah@example.com",
        "timezone": "Asia/Tokyo",
        "language": "en",  # the API's default for a lead, sent with the body
        "notes": "I am the CEO, call me",
    }
    assert db.session.scalars(select(Lead)).all() == [appointment.lead]  # no twin either


def test_a_public_phone_booking_dials_the_number_the_caller_gave_not_the_stored_one(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    response = api_book(client, setting, channel="phone", lead={**MALLORY, "phone": "+1 212 555 0100"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["dial_plan"]["number"] == "+12125550100"
    assert_no_secret(response.get_data(as_text=True), "the 201 body")
    assert lead_row(stored_lead.id) == STORED


def test_an_idempotent_replay_of_a_public_booking_reveals_nothing_either(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    first = api_book(client, setting)
    headers = {"X-Booking-Key": setting["offer"].booking_key, "Idempotency-Key": "same-key"}
    body = {"start": "2026-06-02T08:00:00Z", "channel": "video", "lead": MALLORY}
    replies = [client.post("/api/v1/appointments", json=body, headers=headers) for _ in range(2)]
    assert first.status_code == 201 and [r.status_code for r in replies] == [201, 201]
    for reply in replies:
        assert_no_secret(reply.get_data(as_text=True), "a replayed body")


def prospect_form(**overrides: str) -> dict[str, str]:
    data = {
        "start": "2026-06-02T07:00:00Z",
        "name": "Mallory",
        "email": "sarah@example.com",
        "phone": "+1 212 555 0100",
        "timezone": "Asia/Tokyo",
        "language": "en",
        "channel": "phone",
        "answer_0": "About 20k",
    }
    data.update(overrides)
    return data


def test_the_booking_page_its_confirmation_manage_page_invite_and_emails_reveal_nothing_stored(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    key = setting["offer"].booking_key
    posted = client.post(f"/book/{key}/confirm?tz=Asia/Tokyo", data=prospect_form())
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    done = client.get(posted.headers["Location"])
    assert done.status_code == 200
    assert_no_secret(done.get_data(as_text=True), "the confirmation page")
    assert "Mallory" in done.get_data(as_text=True) and "+12125550100" in done.get_data(as_text=True)
    token = posted.headers["Location"].rsplit("/", 1)[1]
    manage = client.get(f"/appointments/manage/{token}")
    assert manage.status_code == 200
    assert_no_secret(manage.get_data(as_text=True), "the manage page")
    invite = client.get(f"/appointments/manage/{token}/invite.ics")
    assert_no_secret(invite.get_data(as_text=True), "the invite")
    assert "Mallory" in invite.get_data(as_text=True)
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "sarah@example.com")).all()
    assert mail.language == "en"  # the language the caller chose, not the lead's French
    for attachment in mail.attachments:
        assert_no_secret(Attachment.from_json(attachment).content.decode(), "the email's invite")
    assert_no_secret(mail.subject + mail.text_body + mail.html_body, "the prospect's email")
    assert lead_row(stored_lead.id) == STORED


def test_a_prospect_rescheduling_from_the_link_sees_nothing_stored(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    key = setting["offer"].booking_key
    posted = client.post(f"/book/{key}/confirm?tz=Asia/Tokyo", data=prospect_form())
    token = posted.headers["Location"].rsplit("/", 1)[1]
    moved = client.post(
        f"/appointments/manage/{token}/reschedule",
        data={"start": "2026-06-02T09:00:00Z", "reason": "Clash"},
        follow_redirects=True,
    )
    assert moved.status_code == 200
    assert_no_secret(moved.get_data(as_text=True), "the manage page after a move")
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "sarah@example.com")).all()
    assert len(mails) == 2
    for mail in mails:
        assert_no_secret(mail.subject + mail.text_body + mail.html_body, "the prospect's emails")


def test_the_business_sees_what_the_prospect_said_beside_its_own_context(
    app: Any, client: FlaskClient, business_client: FlaskClient, setting: dict[str, Any], stored_lead: Lead
) -> None:
    assert api_book(client, setting).status_code == 201
    [appointment] = db.session.scalars(select(Appointment)).all()
    page = business_client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "The prospect said:" in page and "I am the CEO, call me" in page and "Mallory" in page
    assert "SECRET NEEDS" in page and "Stored Sarah" in page  # its own context, untouched, beside it
    lead_page = business_client.get(f"/leads/{stored_lead.id}").get_data(as_text=True)
    assert "The prospect said:" in lead_page and "I am the CEO, call me" in lead_page
    detail = client.get(f"/api/v1/appointments/{appointment.id}", headers=bearer(setting["owner"])).get_json()
    assert detail["lead"]["context"]["needs"] == "SECRET NEEDS" and detail["lead"]["id"] == stored_lead.id
    assert detail["prospect_said"] == {
        "name": "Mallory",
        "email": "sarah@example.com",
        "phone": None,
        "timezone": "Asia/Tokyo",
        "language": "en",
        "context": {"notes": "I am the CEO, call me"},
    }


def test_a_signed_in_business_booking_still_updates_its_lead_and_says_nothing_for_the_prospect(
    client: FlaskClient, setting: dict[str, Any], stored_lead: Lead, business_user: User
) -> None:
    body = {
        "offer_id": setting["offer"].id,
        "start": "2026-06-02T07:00:00Z",
        "channel": "video",
        "lead": {"name": "Sarah Renamed", "email": "sarah@example.com", "timezone": "Europe/Paris"},
    }
    response = client.post("/api/v1/appointments", json=body, headers=bearer(setting["owner"]))
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["prospect_said"] is None and out["lead"]["phone"] == STORED_PHONE
    assert out["lead"]["context"]["needs"] == "SECRET NEEDS"
    assert lead_row(stored_lead.id)[:3] == ("Sarah Renamed", STORED_PHONE, "Europe/Paris")


def test_a_public_booking_with_a_new_email_creates_the_lead_from_what_was_sent(
    client: FlaskClient, setting: dict[str, Any]
) -> None:
    response = api_book(client, setting, lead={**MALLORY, "email": "new@example.com"})
    assert response.status_code == 201
    [lead] = db.session.scalars(select(Lead)).all()
    assert (lead.name, lead.email, lead.timezone, lead.notes) == (
        "Mallory",
        "new@example.com",
        "Asia/Tokyo",
        "I am the CEO, call me",
    )
