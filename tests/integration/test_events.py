"""In-process domain events (``closerhub.events``): a lower package publishes, a higher one
subscribes, in the publisher's transaction; a failing handler rolls the whole use case back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub import clock, events
from closerhub.accounts import service as accounts
from closerhub.accounts.models import User
from closerhub.accounts.service import AccountOpened, SignupData
from closerhub.businesses import service as businesses_service
from closerhub.businesses.models import Business, BusinessMember
from closerhub.closers import service as closers_service
from closerhub.closers.models import CloserProfile
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.vetting import service as vetting_service
from closerhub.vetting.models import CloserVetting
from tests.conftest import PASSWORD

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _signup(role: str, **extra: Any) -> User:
    data = SignupData(
        email=f"{role}@example.com", password=PASSWORD, name="Ada Lovelace", role=role, timezone="Europe/Paris", **extra
    )
    return accounts.signup(db.session, data, now=NOW)


def _add_handler(app: Flask, monkeypatch: pytest.MonkeyPatch, event_type: type, handler: Any) -> None:
    """Run ``handler`` after the app's own handlers of ``event_type`` for this test only."""
    registry = app.extensions["closerhub.events"]
    monkeypatch.setitem(registry, event_type, [*registry.get(event_type, []), handler])


def test_sign_up_handlers_are_registered_at_app_creation_in_order(app: Flask) -> None:
    assert events.handlers_for(AccountOpened) == [
        businesses_service.on_account_opened,
        closers_service.on_account_opened,
        vetting_service.on_account_opened,
    ]


def test_a_closer_sign_up_gets_its_profile_and_review_row_from_the_handlers(app: Flask) -> None:
    user = _signup("closer")
    profile = db.session.scalar(select(CloserProfile).where(CloserProfile.user_id == user.id))
    vetting = db.session.scalar(select(CloserVetting).where(CloserVetting.closer_id == user.id))
    assert profile is not None and profile.created_at == NOW and profile.headline == ""
    assert vetting is not None and vetting.submitted_at == NOW
    assert _count(Business) == 0


def test_a_business_sign_up_opens_its_business_with_the_user_as_owner(app: Flask) -> None:
    user = _signup("business", business_name="Acme Solar")
    business = db.session.scalar(select(Business))
    assert business is not None and business.name == "Acme Solar" and business.timezone == "Europe/Paris"
    assert user.business_id == business.id
    assert _count(CloserProfile) == 0 and _count(CloserVetting) == 0


def test_handlers_run_in_the_publishers_transaction(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, bool]] = []

    def look(session: Session, event: AccountOpened) -> None:
        pending = [type(obj) for obj in session.new]
        seen.append((event.user in session.new, CloserProfile in pending and CloserVetting in pending))

    _add_handler(app, monkeypatch, AccountOpened, look)
    _signup("closer")
    assert seen == [(True, True)]  # the user is not flushed yet; the earlier handlers' rows are in the same unit


@pytest.mark.parametrize(("role", "extra"), [("closer", {}), ("business", {"business_name": "Acme Solar"})])
def test_a_failing_handler_rolls_the_whole_sign_up_back(
    app: Flask, monkeypatch: pytest.MonkeyPatch, role: str, extra: dict[str, str]
) -> None:
    def fail(session: Session, event: AccountOpened) -> None:
        session.flush()  # the rows reached the database inside the transaction
        assert session.scalar(select(func.count()).select_from(User)) == 1
        raise RuntimeError("the CRM is down")

    _add_handler(app, monkeypatch, AccountOpened, fail)
    with pytest.raises(RuntimeError, match="the CRM is down"):
        _signup(role, **extra)
    assert _count(User) == 0 and not db.session.new  # publish rolled the session back, not only the teardown
    db.session.remove()  # read back from a fresh session: what the database kept
    for model in (User, Business, BusinessMember, CloserProfile, CloserVetting, OutboxMessage):
        assert _count(model) == 0, model


def test_sign_up_works_again_once_the_failing_handler_is_gone(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        _add_handler(app, patch, AccountOpened, lambda session, event: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            _signup("closer")
    user = _signup("closer")
    assert user.id is not None and _count(CloserProfile) == 1 and _count(CloserVetting) == 1


@dataclass(frozen=True)
class _Pinged:
    at: datetime


def test_an_event_without_handlers_changes_nothing(app: Flask) -> None:
    events.publish(db.session, _Pinged(at=clock.utcnow()))
    assert not db.session.new and not db.session.dirty


def test_a_handler_is_subscribed_once() -> None:
    other = Flask(__name__)
    events.init_app(other)
    events.subscribe(other, _Pinged, closers_service.on_account_opened)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already subscribed"):
        events.subscribe(other, _Pinged, closers_service.on_account_opened)  # type: ignore[arg-type]
