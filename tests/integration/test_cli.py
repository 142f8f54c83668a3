"""The flask commands: admins (the demo data has its own tests in test_demo_data.py)."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts import verification
from closerhub.accounts.models import Role, User
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage


def test_create_admin_makes_an_admin_who_can_log_in(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-admin", "--email", "Root@Example.com", "--name", "Root", "--password", "a-strong-admin-pass"]
    )
    assert result.exit_code == 0, result.output
    user = accounts.authenticate(db.session, "root@example.com", "a-strong-admin-pass", now=clock.utcnow())
    assert user.role == Role.ADMIN
    # Whoever ran the command typed the address: the admin proves it reaches them, like everyone else.
    assert user.email_verified_at is None and "a link to verify the address was emailed" in result.output
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "root@example.com"))
    assert message.template == "verify_email" and "/verify-email/" in message.text_body
    again = runner.invoke(args=["create-admin", "--email", "root@example.com", "--password", "a-strong-admin-pass"])
    assert again.exit_code == 0 and "Not verified yet" in again.output  # run again while unverified: a fresh link
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    verification.mark_verified(db.session, user, actor="test", now=clock.utcnow())
    db.session.commit()
    third = runner.invoke(args=["create-admin", "--email", "root@example.com", "--password", "a-strong-admin-pass"])
    assert third.exit_code == 0 and "Not verified" not in third.output
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2  # verified: nothing more


def test_create_admin_refuses_a_weak_password_and_creates_nothing(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-admin", "--email", "root@example.com", "--password", "short"])
    assert result.exit_code != 0 and "10 characters" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_will_not_turn_a_closer_into_an_admin(runner: FlaskCliRunner, closer: User) -> None:
    result = runner.invoke(args=["create-admin", "--email", closer.email, "--password", "a-strong-admin-pass"])
    assert result.exit_code != 0 and "closer account" in result.output
    db.session.refresh(closer)
    assert closer.role == Role.CLOSER
