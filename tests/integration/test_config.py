"""Configuration comes from the environment; production refuses to start half-configured."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from closerhub import create_app


def test_production_refuses_to_start_without_secret_key_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/closerhub")
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app({"PROFILE": "production"})


def test_production_refuses_to_start_without_database_url_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://closerhub.example")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(config.ConfigError, match="DATABASE_URL") as info:
        create_app({"PROFILE": "production"})
    assert "SECRET_KEY" not in str(info.value)


def test_production_sets_secure_cookie_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://closerhub.example")
    monkeypatch.setenv("ENCRYPTION_KEYS", "k" * 43 + "=")
    settings = config.load("production")
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"]
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_money_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_FEE_BPS", "1500")
    monkeypatch.setenv("CLAWBACK_DAYS", "30")
    settings = config.load("development")
    assert settings["PLATFORM_FEE_BPS"] == 1500 and settings["CLAWBACK_DAYS"] == 30


def test_a_non_integer_setting_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYOUT_MINIMUM", "fifty euros")
    with pytest.raises(config.ConfigError, match="PAYOUT_MINIMUM"):
        config.load("development")


def test_an_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(config.ConfigError, match="staging"):
        config.load("staging")


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/db")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(config.ConfigError, match="PUBLIC_BASE_URL"):
        config.load("production")


def test_production_refuses_to_start_without_encryption_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://closerhub.example")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    with pytest.raises(config.ConfigError, match="ENCRYPTION_KEYS"):
        config.load("production")


def test_production_pages_tell_browsers_to_use_https_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://closerhub.example")
    monkeypatch.setenv("ENCRYPTION_KEYS", "k" * 43 + "=")
    monkeypatch.delenv("HSTS_ENABLED", raising=False)
    # The production profile as is; only the database is a local file (the page reads nothing).
    app = create_app({"PROFILE": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/prod.sqlite"})
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_development_pages_do_not_pin_https(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HSTS_ENABLED", raising=False)
    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.sqlite"})
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.postgres
@pytest.mark.parametrize(("pooler", "threshold"), [("true", None), ("false", 5)])
def test_behind_a_transaction_pooler_connections_never_prepare_statements(
    app, monkeypatch: pytest.MonkeyPatch, pooler: str, threshold: int | None
) -> None:
    """PgBouncer in transaction mode hands each transaction any server connection: a statement
    psycopg prepared on one is unknown on the next, so ``DATABASE_TRANSACTION_POOLER`` turns
    preparing off (``prepare_threshold`` None) on the connections the app really opens."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("DATABASE_TRANSACTION_POOLER", pooler)
    other = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with other.app_context():
        from closerhub.extensions import db

        engine = db.engine
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold == threshold
        engine.dispose()


@pytest.mark.parametrize(("hops", "limited_together"), [(1, False), (0, True)])
def test_behind_a_load_balancer_each_client_has_its_own_rate_limit(
    app, monkeypatch: pytest.MonkeyPatch, hops: int, limited_together: bool
) -> None:
    """With ``PROXY_HOPS=1`` the client address is the one the load balancer forwards, so two
    clients behind it do not share a limit; trusting no proxy, every request comes from the
    balancer's address and the second client is refused with the first one's count."""
    other = create_app(
        {
            "PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PROXY_HOPS": hops,
            "WTF_CSRF_ENABLED": False,
        }
    )
    balancer = {"REMOTE_ADDR": "10.0.0.2"}

    def failed_login(client_address: str) -> int:
        with other.test_client() as client:
            return client.post(
                "/login",
                data={"email": "nobody@example.com", "password": "wrong-guess-123"},
                headers={"X-Forwarded-For": client_address},
                environ_base=balancer,
            ).status_code

    first = [failed_login("203.0.113.7") for _ in range(10)]
    assert 429 not in first
    assert (failed_login("198.51.100.9") == 429) is limited_together
