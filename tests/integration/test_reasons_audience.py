"""Reasons have an audience: the internal reason reaches the business, the closers and the audit trail,
never the prospect, who reads only the message written for them. A closer can hand a call back:
another free engaged closer takes it (routing rule), else it is cancelled with a rebooking link."""

from __future__ import annotations

from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.booking.changes import handover
from closerhub.booking.changes import service as changes
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, hours, second_closer, setting

__all__ = ["frozen", "second_closer", "setting"]  # fixtures

INTERNAL = "INTERNAL-prospect-seems-unqualified"
PROSPECT = "paula@example.com"


def messages(template: str) -> dict[str, OutboxMessage]:
    """The outbox messages of ``template`` by recipient."""
    db.session.expire_all()
    return {
        m.to_address: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    }


def full_text(message: OutboxMessage) -> str:
    return f"{message.subject}\n{message.text_body}\n{message.html_body}"


def invite(message: OutboxMessage) -> Any:
    (data,) = message.attachments
    content = Attachment.from_json(data).content
    assert isinstance(content, bytes)
    return Calendar.from_ical(content).walk("VEVENT")[0]


def actor_for(label: str, setting: dict[str, Any], make_user: UserFactory) -> User:
    if label == "business":
        return setting["owner"]
    if label == "closer":
        return setting["closer"]
    return make_user("admin", email="ada@closerhub.example", name="Ada Admin")


@pytest.mark.parametrize("label", ["business", "closer", "admin"])
def test_the_prospects_cancel_notice_never_carries_the_internal_reason_but_the_message_for_them(
    setting: dict[str, Any], make_user: UserFactory, label: str
) -> None:
    appointment = book(setting["offer"])
    actor = actor_for(label, setting, make_user)
    changes.cancel(
        db.session,
        appointment,
        actor=actor,
        actor_label=label,
        reason=INTERNAL,
        message_to_prospect="We are sorry: we will call you to find another time.",
        now=NOW,
    )
    sent = messages("appointment_cancelled")
    prospect = sent.pop(PROSPECT)
    assert INTERNAL not in full_text(prospect)
    assert INTERNAL not in str(prospect.render_context)  # not even kept in the prospect's outbox row
    assert "Message for you: We are sorry: we will call you to find another time." in prospect.text_body
    assert sent and all(f"Reason: {INTERNAL}" in m.text_body for m in sent.values())  # closer and business
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appointment.cancelled"))
    assert entry.after["reason"] == INTERNAL


def test_a_prospect_who_cancels_reads_their_own_reason(setting: dict[str, Any]) -> None:
    appointment = book(setting["offer"])
    changes.cancel(db.session, appointment, actor=None, actor_label="prospect", reason="Found a cheaper offer", now=NOW)
    assert "Reason: Found a cheaper offer" in messages("appointment_cancelled")[PROSPECT].text_body


def test_the_prospects_reschedule_notice_never_carries_the_internal_reason(setting: dict[str, Any]) -> None:
    appointment = book(setting["offer"])
    changes.reschedule(
        db.session,
        appointment,
        start=TUESDAY_9 + hours(2),
        actor=setting["owner"],
        actor_label="business",
        reason=INTERNAL,
        message_to_prospect="Our closer is in a workshop at nine.",
        now=NOW,
    )
    sent = messages("appointment_rescheduled")
    assert INTERNAL not in full_text(sent[PROSPECT])
    assert "Message for you: Our closer is in a workshop at nine." in sent[PROSPECT].text_body
    assert f"Reason: {INTERNAL}" in sent[setting["owner"].email].text_body


def test_a_handed_back_call_goes_to_a_free_engaged_closer_at_the_same_time(
    setting: dict[str, Any], second_closer: User
) -> None:
    appointment = book(setting["offer"], closer_id=setting["closer"].id)
    uid, start, end = appointment.uid, appointment.starts_at, appointment.ends_at
    result = handover.hand_back(db.session, appointment, closer=setting["closer"], reason=INTERNAL, now=NOW)

    assert result.reassigned and result.new_closer.id == second_closer.id
    db.session.expire_all()
    moved = db.session.get(Appointment, appointment.id)
    assert (moved.status, moved.closer_id, moved.uid, moved.starts_at, moved.ends_at) == (
        AppointmentStatus.BOOKED,
        second_closer.id,
        uid,
        start,
        end,
    )
    assert moved.sequence == 1 and moved.engagement.closer_id == second_closer.id
    assert moved.routing_reason.startswith("Reassigned (the closer handed the call back, from Claire Closer")
    assert "Round-robin" in moved.routing_reason
    assert [e.kind for e in moved.events][-1] == "reassigned"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appointment.reassigned"))
    assert entry.before == {"closer_id": setting["closer"].id}
    assert entry.after["closer_id"] == second_closer.id and entry.after["reason"] == INTERNAL

    notices = messages("appointment_reassigned")
    prospect = notices[PROSPECT]
    assert INTERNAL not in full_text(prospect) and INTERNAL not in str(prospect.render_context)
    assert "is now with Bruno Second, at the same time" in prospect.text_body
    event = invite(prospect)
    assert (
        str(event["UID"]) == uid
        and int(event["SEQUENCE"]) == 1
        and str(event["ORGANIZER"]).endswith(second_closer.email)
    )
    assert "has a call with you" in notices[second_closer.email].text_body
    owner = notices[setting["owner"].email].text_body
    assert "moved from Claire Closer to Bruno Second" in owner and f"Reason: {INTERNAL}" in owner
    released = messages("appointment_released")[setting["closer"].email]
    assert "You handed back the call" in released.text_body
    assert str(invite(released)["STATUS"]) == "CANCELLED"


def test_a_handed_back_call_with_nobody_free_is_cancelled_with_a_rebooking_link(setting: dict[str, Any]) -> None:
    appointment = book(setting["offer"])
    result = handover.hand_back(db.session, appointment, closer=setting["closer"], reason=INTERNAL, now=NOW)

    assert not result.reassigned
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    sent = messages("appointment_cancelled")
    prospect = sent[PROSPECT]
    assert INTERNAL not in full_text(prospect)
    assert f"/book/{setting['offer'].booking_key}" in prospect.text_body
    assert f"Reason: {INTERNAL}" in sent[setting["owner"].email].text_body


def test_a_hand_back_needs_a_reason_and_changes_nothing_without_one(
    setting: dict[str, Any], second_closer: User
) -> None:
    appointment = book(setting["offer"], closer_id=setting["closer"].id)
    with pytest.raises(ValidationError) as caught:
        handover.hand_back(db.session, appointment, closer=setting["closer"], reason="  ", now=NOW)
    assert "reason" in caught.value.field_errors
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).closer_id == setting["closer"].id
    assert not messages("appointment_reassigned")
