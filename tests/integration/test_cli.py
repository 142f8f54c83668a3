"""The flask commands: demo data (idempotent) and admins."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from closerhub.accounts import service as accounts
from closerhub.accounts.models import Role, User
from closerhub.cli import DEMO_PASSWORD, DEMO_USERS
from closerhub.extensions import db


def test_seed_demo_prints_the_logins_and_they_work(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    for _role, email, *_ in DEMO_USERS:
        assert email in result.output
        assert accounts.authenticate(db.session, email, DEMO_PASSWORD).email == email


def test_seed_demo_is_idempotent(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["seed-demo"])
    before = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "exists" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == before == len(DEMO_USERS)


def test_seed_demo_spans_several_time_zones_and_languages(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["seed-demo"])
    closers = db.session.scalars(select(User).where(User.role == Role.CLOSER)).all()
    assert len({c.timezone for c in closers}) >= 3
    assert {u.language for u in db.session.scalars(select(User))} == {"en", "fr"}


def test_create_admin_makes_an_admin_who_can_log_in(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-admin", "--email", "Root@Example.com", "--name", "Root", "--password", "a-strong-admin-pass"]
    )
    assert result.exit_code == 0, result.output
    user = accounts.authenticate(db.session, "root@example.com", "a-strong-admin-pass")
    assert user.role == Role.ADMIN


def test_create_admin_refuses_a_weak_password_and_creates_nothing(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-admin", "--email", "root@example.com", "--password", "short"])
    assert result.exit_code != 0 and "10 characters" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_will_not_turn_a_closer_into_an_admin(runner: FlaskCliRunner, closer: User) -> None:
    result = runner.invoke(args=["create-admin", "--email", closer.email, "--password", "a-strong-admin-pass"])
    assert result.exit_code != 0 and "closer account" in result.output
    db.session.refresh(closer)
    assert closer.role == Role.CLOSER
