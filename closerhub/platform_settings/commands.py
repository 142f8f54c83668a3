"""Platform settings' command: the values an admin sets (the settings page).

One field per setting of ``service.SPECS``, in the stored unit (basis points, minor units,
days, a weekday); None leaves a setting as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from closerhub.commands import Command


@dataclass(frozen=True)
class SettingsChange(Command):
    """The settings to set; the service checks each against its bounds, all together."""

    platform_fee_bps: int | None = None
    clawback_days: int | None = None
    confirm_days: int | None = None
    payout_minimum: int | None = None
    payout_weekday: int | None = None

    def given(self) -> dict[str, int]:
        """The settings to set (the fields not None), by key."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}
