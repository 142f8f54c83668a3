"""In-process domain events: a lower package publishes, a higher one subscribes, same transaction.

A service low in the package order (README, "Package order") must not call a package above it.
When its use case has consequences there (a new account gets a business, a closer profile and a
vetting row; a confirmed outcome bills the business), it publishes a typed event (a frozen
dataclass defined beside the publishing service) with :func:`publish`; the higher package's
handler is registered for that event type at app creation (:func:`subscribe`, called by the app
factory, ``closerhub.create_app``, in the order the handlers run).

Handlers run synchronously, in registration order, inside the publisher's transaction: they add
to the session they are given and the publisher commits (the one exception is a payment handler
that must record a charge before calling Stripe, as the use case did before events). If a handler
raises, :func:`publish` rolls the session back and re-raises: the use case changes nothing, as if
it had failed itself. A call to an outside service that must follow the commit is queued with
:func:`after_commit` and run by the publisher's :func:`commit`.

The registry belongs to the application (``app.extensions``), so two apps built in one process
(the tests) never share handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy.orm import Session

_KEY = "closerhub.events"
_AFTER_COMMIT = "closerhub.events.after_commit"  # in ``Session.info``: what to run once the publisher commits

E = TypeVar("E")
Handler = Callable[[Session, E], None]


def init_app(app: Flask) -> None:
    """Give ``app`` an empty registry (the app factory then subscribes each package's handlers)."""
    app.extensions[_KEY] = {}


def subscribe(app: Flask, event_type: type[E], handler: Handler[E]) -> None:
    """Run ``handler`` on every ``event_type`` published in ``app``, after those registered before it."""
    handlers: dict[type, list[Handler[Any]]] = app.extensions[_KEY]
    if handler in handlers.get(event_type, []):
        raise ValueError(f"{handler!r} is already subscribed to {event_type.__name__}")
    handlers.setdefault(event_type, []).append(handler)


def handlers_for(event_type: type) -> list[Handler[Any]]:
    """The handlers of ``event_type`` in the current app, in registration order."""
    registry: dict[type, list[Handler[Any]]] = current_app.extensions[_KEY]
    return list(registry.get(event_type, []))


def publish(session: Session, event: object) -> None:
    """Run the handlers of ``event`` in order, in ``session``'s transaction; on failure roll back and re-raise."""
    for handler in handlers_for(type(event)):
        try:
            handler(session, event)
        except BaseException:
            session.rollback()
            session.info.pop(_AFTER_COMMIT, None)
            raise


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """From a handler: run ``action`` once the publisher's transaction has committed (a call to an
    outside service, such as a card refund, that must not run inside it). The publisher commits
    with :func:`commit`."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def commit(session: Session) -> None:
    """Commit the publisher's transaction, then run what its handlers asked to run after it, in order."""
    try:
        session.commit()
    finally:
        pending: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    for action in pending:
        action()
