"""Secrets we hold (calendar passwords, payout details, webhook secrets), encrypted at rest.

One helper for every feature: ``seal(text)`` gives a Fernet token to store, ``unseal(token)``
gives the text back. Keys come from ``ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest
first: older keys still decrypt, so a key can be rotated by putting a new one in front and
re-sealing with ``reseal``). Production refuses to start without it (config.py); development
and tests use a key generated once under ``instance/`` (never committed).

A sealed value is never returned in full and never logged: show ``mask(text)`` instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys (a key was removed)."""


def development_key(instance_dir: Path) -> str:
    """The development key, generated once under ``instance/`` (readable by its owner only)."""
    path = instance_dir / "encryption.key"
    if not path.exists():
        # Several processes may start at once on a fresh checkout (web workers, the worker, test
        # processes): each writes its own key to a file of its own, then links it into place, which
        # succeeds for one of them only; every one then reads the winner's key.
        instance_dir.mkdir(parents=True, exist_ok=True)
        mine = instance_dir / f".encryption.key.{os.getpid()}.{secrets.token_hex(4)}"
        mine.write_bytes(Fernet.generate_key())
        mine.chmod(0o600)
        try:
            os.link(mine, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            mine.unlink()
    return path.read_text().strip()


def _box() -> MultiFernet:
    keys = [k.strip() for k in str(current_app.config["ENCRYPTION_KEYS"]).split(",") if k.strip()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def seal(text: str) -> str:
    """Encrypt ``text`` with the newest key; the result is ASCII, safe to store in a text column."""
    return _box().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    """Decrypt a value made by ``seal`` with any configured key."""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured ENCRYPTION_KEYS") from exc


def reseal(token: str) -> str:
    """Re-encrypt a stored value with the newest key (key rotation)."""
    return _box().rotate(token.encode()).decode()


def mask(text: str, visible: int = 4) -> str:
    """``••••1234``: the last ``visible`` characters of a secret, the rest hidden."""
    compact = "".join(text.split())
    if len(compact) <= visible:
        return "•" * len(compact)
    return "•" * 4 + compact[-visible:]
