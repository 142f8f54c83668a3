"""In-process domain events: a lower package publishes, a higher one subscribes, same transaction.

A service low in the package order (README, "Package order") must not call a package above it.
When its use case has consequences there (a new account gets a business, a closer profile and a
vetting row), it publishes a typed event (a frozen dataclass defined next to the publishing service) with
:func:`publish`; the higher package registers a
handler for that event type at app creation (:func:`subscribe`, called from the app factory).

Handlers run synchronously, in registration order, inside the publisher's transaction (they add
to the session they are given and never commit). If one raises, :func:`publish` rolls the
session back and re-raises: the use case changes nothing, as if it had failed itself.

The registry belongs to the application (``app.extensions``), so two apps built in one process
(the tests) never share handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy.orm import Session

_KEY = "closerhub.events"

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
            raise
