"""The marketplace settings outcomes and the ledger read, through one function.

Read at the moment they are needed (never cached), so a change applies to the next
outcome. They come from ``closerhub.platform_settings``: the value an admin set on
``/admin/settings`` (a database row), else the environment's default (``PLATFORM_FEE_BPS``,
``CONFIRM_DAYS``, ``CLAWBACK_DAYS`` in ``config.py``).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from closerhub.extensions import db
from closerhub.platform_settings.service import SPECS, get_setting

# Config name (what callers have always asked for) → platform setting key.
_KEY_OF = {spec.config_key: spec.key for spec in SPECS.values()}


def setting(name: str, session: Session | None = None) -> int:
    """An integer marketplace setting by its config name, e.g. ``setting("CONFIRM_DAYS")``.

    The admin's value when one is stored, else the config default. ``session`` defaults to
    the request's (``db.session``): the row is read in the caller's transaction.
    """
    key = _KEY_OF.get(name)
    if key is None:  # not a platform setting (yet): the config is the only source
        return int(current_app.config[name])
    session = session if session is not None else db.session
    # No autoflush: callers read a setting in the middle of a change (an outcome turned "won" before
    # its value is set), and flushing that half-made row would trip the database's CHECKs.
    with session.no_autoflush:
        return get_setting(session, key)


def manual_mode() -> bool:
    """True without a Stripe key: confirming an outcome counts as charging the business."""
    return not current_app.config.get("STRIPE_SECRET_KEY")
