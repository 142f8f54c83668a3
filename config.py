"""Configuration: every setting comes from the environment, with safe defaults for development.

Three profiles: ``development`` (SQLite file under ``instance/``, zero set-up),
``testing`` (used by the test-suite, which overrides the database URL) and
``production`` (refuses to start without ``SECRET_KEY`` and ``DATABASE_URL``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy defaults to psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _engine_options(url: str) -> dict[str, Any]:
    """Pool pings (a restarted database is reconnected to); behind PgBouncer in transaction mode,
    no server-side prepared statements: psycopg prepares a statement run 5 times on its connection,
    and the next transaction may run on another server connection, which never saw it."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql") and _bool("DATABASE_TRANSACTION_POOLER", False):
        options["connect_args"] = {"prepare_threshold": None}
    return options


def base_settings() -> dict[str, Any]:
    """Settings shared by every profile, read from the environment at call time."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("DATABASE_URL", "")),
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(_database_url(os.environ.get("DATABASE_URL", ""))),
        # Money and marketplace rules (basis points, days, minor units)
        "PLATFORM_FEE_BPS": _int("PLATFORM_FEE_BPS", 1000),
        "CLAWBACK_DAYS": _int("CLAWBACK_DAYS", 14),
        "CONFIRM_DAYS": _int("CONFIRM_DAYS", 7),
        "PAYOUT_MINIMUM": _int("PAYOUT_MINIMUM", 5000),
        # Stripe (manual mode when STRIPE_SECRET_KEY is empty)
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        # The SDK retries network errors, 409, 429 and 5xx with the same idempotency key.
        "STRIPE_MAX_NETWORK_RETRIES": _int("STRIPE_MAX_NETWORK_RETRIES", 2),
        "STRIPE_TIMEOUT_SECONDS": _int("STRIPE_TIMEOUT_SECONDS", 20),
        # Send transfer_group on PaymentIntents (localstripe refuses it: set false there).
        "STRIPE_PI_TRANSFER_GROUP": _bool("STRIPE_PI_TRANSFER_GROUP", True),
        # Booking emails are queued as intents and rendered by the worker (keeps the booking
        # request cheap); true renders them in the request instead (the test profile does).
        "EMAIL_RENDER_INLINE": _bool("EMAIL_RENDER_INLINE", False),
        # SMS (Twilio): without all three, SMS reminders stay in the SMS outbox (readable by admins).
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM": os.environ.get("TWILIO_FROM", ""),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", ""),  # tests point the SDK at a local fake
        # Mail: with no MAIL_SERVER, messages stay in the outbox (readable by admins)
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "CloserHub <no-reply@closerhub.local>"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 10),
        # Public base URL used in emails (links must work outside a request)
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Rate limits: memory by default; several web workers need a shared store (Redis)
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "closerhub"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        # Strict-Transport-Security: browsers then refuse plain HTTP for this host for max-age
        # seconds. On in production (served over HTTPS only); off in development, where
        # 127.0.0.1 is plain HTTP and a remembered HSTS entry would lock the developer out.
        "HSTS_ENABLED": _bool("HSTS_ENABLED", False),
        # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (a load balancer: 1).
        # 0 trusts none: behind a proxy, every client would then share the proxy's rate limits.
        "PROXY_HOPS": _int("PROXY_HOPS", 0),
        "HSTS_MAX_AGE": _int("HSTS_MAX_AGE", 365 * 24 * 60 * 60),
        "WTF_CSRF_TIME_LIMIT": None,
        # Accounts and API
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 60 * 60),
        "EMAIL_VERIFY_MAX_AGE": _int("EMAIL_VERIFY_MAX_AGE", 3 * 24 * 60 * 60),  # verification links: 3 days
        "API_TOKEN_DAYS": _int("API_TOKEN_DAYS", 90),
        # Booking: generated video rooms live under this URL (one random room per call)
        "VIDEO_ROOM_BASE_URL": os.environ.get("VIDEO_ROOM_BASE_URL", "https://meet.closerhub.app"),
        # Secrets at rest (closerhub.secrets_box): comma-separated Fernet keys, newest first.
        "ENCRYPTION_KEYS": os.environ.get("ENCRYPTION_KEYS", ""),
        # Manual payouts: the platform's bank account the SEPA credit transfer file pays from.
        "PLATFORM_ACCOUNT_NAME": os.environ.get("PLATFORM_ACCOUNT_NAME", ""),
        "PLATFORM_IBAN": os.environ.get("PLATFORM_IBAN", ""),
        "PLATFORM_BIC": os.environ.get("PLATFORM_BIC", ""),
        # Server-side requests to user-given URLs (closerhub.outbound): private, loopback and
        # link-local addresses are refused unless allowed (development and testing allow them).
        "OUTBOUND_ALLOW_PRIVATE": _bool("OUTBOUND_ALLOW_PRIVATE", False),
        "OUTBOUND_TIMEOUT_SECONDS": _int("OUTBOUND_TIMEOUT_SECONDS", 10),
        # Calendar sync: how often the worker reads each connection, how long one may stay
        # unreadable before its closer stops offering slots, the largest calendar read.
        "CALENDAR_SYNC_MINUTES": _int("CALENDAR_SYNC_MINUTES", 5),
        "CALENDAR_FAIL_CLOSED_MINUTES": _int("CALENDAR_FAIL_CLOSED_MINUTES", 60),
        "CALENDAR_MAX_BYTES": _int("CALENDAR_MAX_BYTES", 5 * 1024 * 1024),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en", "fr"],
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }


def development() -> dict[str, Any]:
    """Zero set-up: SQLite file under instance/, a development secret."""
    cfg = base_settings()
    INSTANCE_DIR.mkdir(exist_ok=True)
    cfg["SECRET_KEY"] = cfg["SECRET_KEY"] or "dev-only-secret-change-me"
    if not cfg["ENCRYPTION_KEYS"]:
        from closerhub.secrets_box import development_key

        cfg["ENCRYPTION_KEYS"] = development_key(INSTANCE_DIR)
    if not cfg["SQLALCHEMY_DATABASE_URI"]:
        cfg["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{INSTANCE_DIR / 'closerhub.sqlite'}"
    # Local calendar servers (a Radicale on 127.0.0.1) are fine outside production.
    cfg["OUTBOUND_ALLOW_PRIVATE"] = _bool("OUTBOUND_ALLOW_PRIVATE", True)
    cfg["ENV_NAME"] = "development"
    return cfg


def testing() -> dict[str, Any]:
    """Used by the test-suite; the database URL is set by tests/conftest.py."""
    cfg = development()
    cfg.update(
        TESTING=True,
        ENV_NAME="testing",
        SECRET_KEY="test-secret",  # noqa: S106  (testing profile only)
        # Limits stay on in tests (Flask-Limiter cannot be switched on later); the app
        # fixture resets the in-memory counters after each test.
        RATELIMIT_STORAGE_URI="memory://",
        WTF_CSRF_ENABLED=False,
        PUBLIC_BASE_URL="http://localhost",
        EMAIL_RENDER_INLINE=True,  # tests read rendered emails; test_booking_deferred switches it off
    )
    return cfg


def production() -> dict[str, Any]:
    """Production refuses to start without a secret key and a database URL."""
    cfg = base_settings()
    # PUBLIC_BASE_URL too: links in emails must never come from a request's Host header.
    required = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "ENCRYPTION_KEYS")
    missing = [name for name in required if not os.environ.get(name)]
    if missing:
        raise ConfigError("Refusing to start in production: missing environment variable(s): " + ", ".join(missing))
    cfg["SESSION_COOKIE_SECURE"] = True
    cfg["REMEMBER_COOKIE_SECURE"] = True
    cfg["HSTS_ENABLED"] = _bool("HSTS_ENABLED", True)
    cfg["ENV_NAME"] = "production"
    return cfg


PROFILES = {"development": development, "testing": testing, "production": production}


def load(name: str | None = None) -> dict[str, Any]:
    """Build the settings of a profile (``CLOSERHUB_ENV``, default development)."""
    name = name or os.environ.get("CLOSERHUB_ENV", "development")
    try:
        factory = PROFILES[name]
    except KeyError as exc:
        raise ConfigError(f"Unknown CLOSERHUB_ENV {name!r}; use one of {', '.join(PROFILES)}") from exc
    return factory()
