"""The marketplace settings outcomes and the ledger read, through one function.

Read at the moment they are needed (never cached), so a change applies to the next
outcome. Today they come from the app config (``PLATFORM_FEE_BPS``, ``CONFIRM_DAYS``,
``CLAWBACK_DAYS``); swap this function's body for the database-backed platform settings
when they land, and every caller follows.
"""

from __future__ import annotations

from flask import current_app


def setting(name: str) -> int:
    """An integer marketplace setting by its config name, e.g. ``setting("CONFIRM_DAYS")``."""
    return int(current_app.config[name])


def manual_mode() -> bool:
    """True without a Stripe key: confirming an outcome counts as charging the business."""
    return not current_app.config.get("STRIPE_SECRET_KEY")
