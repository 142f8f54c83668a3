"""Who may do what: role decorators for views and the object-level visibility check.

Every object a user can address by id is fetched through ``get_visible_or_404``: an
object of another tenant answers 404 (not 403), so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from closerhub.accounts.models import Role, User
from closerhub.core.errors import NotFound
from closerhub.core.i18n import N_
from closerhub.db import get_by_id
from closerhub.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

# ``find_visible``'s 404 message for each model a service looks up through it (by class name).
_NOT_FOUND = {
    "Appointment": N_("Appointment not found."),
    "Business": N_("Business not found."),
    "Charge": N_("Charge not found."),
    "Engagement": N_("Engagement not found."),
    "Lead": N_("Lead not found."),
    "Offer": N_("Offer not found."),
    "Outcome": N_("Outcome not found."),
    "Instalment": N_("Instalment not found."),
}


class Visible(Protocol):
    def can_view(self, user: User | None) -> bool: ...


T = TypeVar("T", bound=Visible)


def role_required(*roles: Role | str) -> Callable[[F], F]:
    """Require a logged-in user with one of ``roles``: anonymous → login page, wrong role → 403."""
    allowed = {Role(r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                flash(_("Please log in to see this page."), "info")
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def login_required(view: F) -> F:
    """Any logged-in user."""
    return role_required(*Role)(view)


admin_required = role_required(Role.ADMIN)
business_required = role_required(Role.BUSINESS)
closer_required = role_required(Role.CLOSER)


def find_visible(model: type[T], object_id: Any, user: User | None, session: Session | None = None) -> T:
    """The object if it exists and ``user`` may see it (its ``can_view``); otherwise ``core.errors.NotFound``.

    The one tenant check behind every ``find_*`` service: another tenant's object and a missing
    one answer alike ("<Model> not found.", 404).
    """
    obj = get_by_id(session or db.session, model, object_id)
    if obj is None or not obj.can_view(user):
        message = _NOT_FOUND.get(model.__name__)
        raise NotFound(_(message) if message else f"{model.__name__} not found.")
    return obj


def get_visible_or_404(model: type[T], object_id: Any, user: User | None = None) -> T:
    """For HTML views: like ``find_visible`` but aborts with a 404 page."""
    who = user if user is not None else (current_user if current_user.is_authenticated else None)
    try:
        return find_visible(model, object_id, who)
    except NotFound:
        abort(404)
