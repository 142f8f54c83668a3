"""Secrets we hold are encrypted at rest with the configured keys, rotatable, and shown masked."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from closerhub import secrets_box


def test_a_sealed_secret_is_not_stored_in_clear_and_opens_with_the_key(app: Flask) -> None:
    token = secrets_box.seal("app-password-123")
    assert "app-password-123" not in token
    assert secrets_box.unseal(token) == "app-password-123"


def test_a_rotated_key_still_opens_old_secrets_and_reseals_them_with_the_new_key(app: Flask) -> None:
    old_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = old_key
    token = secrets_box.seal("FR7630006000011234567890189")
    new_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = f"{new_key},{old_key}"
    assert secrets_box.unseal(token) == "FR7630006000011234567890189"
    fresh = secrets_box.reseal(token)
    app.config["ENCRYPTION_KEYS"] = new_key  # the old key retired: the resealed value still opens
    assert secrets_box.unseal(fresh) == "FR7630006000011234567890189"
    with pytest.raises(secrets_box.SecretUnreadable):
        secrets_box.unseal(token)


def test_a_mask_shows_only_the_last_characters() -> None:
    assert secrets_box.mask("FR76 3000 6000 0112 3456 7890 189") == "••••0189"
    assert secrets_box.mask("abc") == "•••"
