"""Serializers from a model to its API resource shape, registered by the feature's API module.

``emit`` must build an event's ``data`` in the transaction that made the change, from the
object the service already holds, and in the API resource's shape. The API schemas live in
the API layer, which imports the services; so the API modules register their serializer
here (``register("appointment", ...)``) and the services pass the object, keeping this
package, like ``closerhub.audit``, free of imports from the feature packages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Serializer = Callable[[Any], dict[str, Any]]
_SERIALIZERS: dict[str, Serializer] = {}


def register(resource: str, serializer: Serializer) -> None:
    """Make ``serializer`` the JSON shape of ``resource`` (the part of an event type before the dot)."""
    _SERIALIZERS[resource] = serializer


def data_for(event_type: str, obj: Any) -> dict[str, Any]:
    """An event's ``data``: a dict as given, or ``obj`` through its resource's serializer."""
    if isinstance(obj, dict):
        return obj
    resource = event_type.split(".", 1)[0]
    try:
        serializer = _SERIALIZERS[resource]
    except KeyError:
        raise LookupError(f"no webhook serializer registered for {resource!r}") from None
    return serializer(obj)
