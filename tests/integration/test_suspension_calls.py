"""Nothing stays booked with a suspended closer: each upcoming call goes to another engaged closer free
at that time (routing rule, the prospect told of the new closer) or is cancelled with a rebooking link."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.integration.booking_setup import TUESDAY_9, book, frozen, hours, lead_details, second_closer, setting

__all__ = ["frozen", "second_closer", "setting"]  # fixtures

REASON = "Fake reviews reported by two businesses."


def suspend(admin_client: FlaskClient, user: User) -> Any:
    return admin_client.post(f"/admin/users/{user.id}/suspend", data={"reason": REASON, "confirm": "yes"})


def outbox(template: str) -> dict[str, list[OutboxMessage]]:
    db.session.expire_all()
    found: dict[str, list[OutboxMessage]] = {}
    for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)):
        found.setdefault(m.to_address, []).append(m)
    return found


def test_suspending_a_closer_reassigns_each_call_someone_can_take_and_cancels_the_others(
    admin_client: FlaskClient, setting: dict[str, Any], second_closer: User
) -> None:
    closer = setting["closer"]
    movable = book(setting["offer"], closer_id=closer.id, lead=lead_details(email="mo@example.com", name="Mo Movable"))
    stuck = book(
        setting["offer"],
        start=TUESDAY_9 + hours(2),
        closer_id=closer.id,
        lead=lead_details(email="stu@example.com", name="Stu Stuck"),
    )
    book(
        setting["offer"],
        start=TUESDAY_9 + hours(2),
        closer_id=second_closer.id,
        lead=lead_details(email="x@example.com"),
    )

    before = admin_client.get(f"/admin/users/{closer.id}/suspend").get_data(as_text=True)
    assert "2 upcoming calls are booked with them" in before and "Mo Movable" in before and "Stu Stuck" in before
    page = suspend(admin_client, closer)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "reassigned to Bruno Second" in html and "cancelled; the prospect got a link to book again" in html

    db.session.expire_all()
    moved, cancelled = db.session.get(Appointment, movable.id), db.session.get(Appointment, stuck.id)
    assert moved.status == AppointmentStatus.BOOKED and moved.closer_id == second_closer.id
    assert moved.starts_at == TUESDAY_9 and moved.sequence == 1
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert "reassigned to Bruno Second" not in db.session.get(Appointment, stuck.id).routing_reason
    reassigned = outbox("appointment_reassigned")
    assert "is now with Bruno Second" in reassigned["mo@example.com"][0].text_body
    assert REASON not in reassigned["mo@example.com"][0].text_body
    cancel_notice = outbox("appointment_cancelled")["stu@example.com"][0]
    assert f"/book/{setting['offer'].booking_key}" in cancel_notice.text_body
    assert REASON not in cancel_notice.text_body  # the admin's reason stays in the account's audit row
    assert "suspended" in outbox("appointment_released")[closer.email][0].text_body
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert {"account.suspended", "appointment.reassigned", "appointment.cancelled"} <= set(actions)


def test_suspending_again_finishes_calls_left_booked_and_otherwise_changes_nothing(
    admin_client: FlaskClient, setting: dict[str, Any]
) -> None:
    closer = setting["closer"]
    call = book(setting["offer"])
    suspend(admin_client, closer)
    db.session.expire_all()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED
    sent = db.session.scalar(select(db.func.count()).select_from(OutboxMessage))
    again = suspend(admin_client, closer)
    assert again.status_code == 409 and "already suspended" in again.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == sent
    assert len(list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.suspended")))) == 1


def test_a_suspension_interrupted_before_its_calls_is_finished_by_suspending_again(
    admin_client: FlaskClient, setting: dict[str, Any]
) -> None:
    closer = setting["closer"]
    call = book(setting["offer"])
    closer.status = "suspended"  # as if the run stopped after committing the status
    db.session.commit()
    page = suspend(admin_client, closer)
    assert page.status_code == 200 and "cancelled; the prospect got a link to book again" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED
