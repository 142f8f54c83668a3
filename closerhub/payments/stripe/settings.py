"""The gateway's settings, read from the ``STRIPE_*`` configuration (``gateway`` documents each)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_RETRIES = 2
DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True)
class GatewaySettings:
    secret_key: str
    api_base: str = ""
    max_network_retries: int = DEFAULT_RETRIES
    timeout_seconds: float = DEFAULT_TIMEOUT
    pi_transfer_group: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GatewaySettings:
        """Read the ``STRIPE_*`` settings of a Flask config (or any mapping)."""
        return cls(
            secret_key=str(config.get("STRIPE_SECRET_KEY") or ""),
            api_base=str(config.get("STRIPE_API_BASE") or "").rstrip("/"),
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", DEFAULT_RETRIES)),
            timeout_seconds=float(config.get("STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)),
            pi_transfer_group=bool(config.get("STRIPE_PI_TRANSFER_GROUP", True)),
        )
