"""Read and change platform settings. The environment (``config.py``) gives each default;
a row in ``platform_settings`` overrides it until an admin changes it again.

Money code reads settings through ``get_setting`` at the moment it needs them, so a
change applies to the next charge, confirmation window or payout run, never to past ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.core.errors import PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _
from closerhub.platform_settings.commands import SettingsChange
from closerhub.platform_settings.models import PlatformSetting


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its config key (the default), its bounds and what it means."""

    key: str
    config_key: str
    minimum: int
    maximum: int
    label: str
    help: str
    fallback: int


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "platform_fee_bps",
            "PLATFORM_FEE_BPS",
            0,
            5000,
            N_("Platform fee (percent of the commission)"),
            N_("Charged to the business on top of the commission, e.g. 10."),
            1000,
        ),
        SettingSpec(
            "clawback_days",
            "CLAWBACK_DAYS",
            0,
            180,
            N_("Clawback hold (days)"),
            N_("How long a closer's earning stays on hold after the charge before it can be paid out."),
            14,
        ),
        SettingSpec(
            "confirm_days",
            "CONFIRM_DAYS",
            1,
            60,
            N_("Confirmation window (days)"),
            N_("How long a business has to confirm or dispute a won deal before it confirms itself."),
            7,
        ),
        SettingSpec(
            "payout_minimum",
            "PAYOUT_MINIMUM",
            0,
            10_000_000,
            N_("Payout minimum"),
            N_("The smallest balance paid out in a run: 50.00 is €50.00 or $50.00 (¥5,000 without cents)."),
            5000,
        ),
        SettingSpec(
            "payout_weekday",
            "PAYOUT_WEEKDAY",
            0,
            6,
            N_("Payout weekday (0 = Monday … 6 = Sunday)"),
            N_("The day of the week the payout run transfers available balances."),
            0,
        ),
    )
}


def default(key: str) -> int:
    """The environment's value for ``key`` (``config.py``), or the built-in fallback."""
    spec = SPECS[key]
    return int(current_app.config.get(spec.config_key, spec.fallback))


def get_setting(session: Session, key: str) -> int:
    """The value in force for ``key``: the admin's, else the environment's default."""
    if key not in SPECS:
        raise KeyError(f"unknown platform setting {key!r}")
    row = session.get(PlatformSetting, key)
    return int(row.value) if row is not None else default(key)


def all_settings(session: Session) -> dict[str, int]:
    """Every setting's value in force, in one query."""
    stored = {row.key: row.value for row in session.scalars(select(PlatformSetting))}
    return {key: int(stored[key]) if key in stored else default(key) for key in SPECS}


def overridden(session: Session) -> set[str]:
    """The keys an admin has set (the others follow the environment)."""
    return set(session.scalars(select(PlatformSetting.key)))


def _clean(spec: SettingSpec, value: int) -> int:
    if not spec.minimum <= value <= spec.maximum:
        message = _("Give a whole number from %(low)d to %(high)d.", low=spec.minimum, high=spec.maximum)
        raise ValidationError(message, field_errors={spec.key: message})
    return value


def update_settings(session: Session, admin: User, change: SettingsChange, *, now: datetime) -> dict[str, int]:
    """Set the given settings (all valid, or nothing changes); each change is audited before/after.

    Returns the keys that changed with their new values (an unchanged value writes nothing).
    """
    if not admin.is_admin:
        raise PermissionDenied(_("Only admins can change platform settings."))
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for key, value in change.given().items():
        try:
            clean[key] = _clean(SPECS[key], value)
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    current = all_settings(session)
    changed: dict[str, int] = {}
    for key, value in clean.items():
        if value == current[key]:
            continue
        row = session.get(PlatformSetting, key)
        if row is None:
            row = PlatformSetting(key=key)
            session.add(row)
        row.value, row.updated_at, row.updated_by_id = value, now, admin.id
        record(
            session,
            actor=admin,
            action="setting.changed",
            obj=("platform_setting", key),
            before={"value": current[key]},
            after={"value": value},
            now=now,
        )
        changed[key] = value
    session.commit()
    return changed
