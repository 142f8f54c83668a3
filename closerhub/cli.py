"""Flask commands: ``flask seed-demo`` and ``flask create-admin``."""

from __future__ import annotations

import logging

import click
from flask import Flask
from sqlalchemy import select

from closerhub.accounts import service as accounts
from closerhub.accounts.models import Role, User
from closerhub.core.errors import DomainError
from closerhub.extensions import db
from closerhub.vetting.service import is_approved, mark_approved

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (public demo accounts, printed by seed-demo)

# (role, email, name, timezone, language, business name)
DEMO_USERS = [
    ("admin", "admin@demo.closerhub.dev", "Ada Admin", "UTC", "en", None),
    ("business", "owner@acme-coaching.demo", "Omar Haddad", "Europe/Paris", "fr", "Acme Coaching"),
    ("business", "sales@northwind-saas.demo", "Nina Park", "America/New_York", "en", "Northwind SaaS"),
    ("closer", "claire@closers.demo", "Claire Martin", "Europe/Paris", "fr", None),
    ("closer", "diego@closers.demo", "Diego Alvarez", "America/Sao_Paulo", "en", None),
    ("closer", "priya@closers.demo", "Priya Sharma", "Asia/Kolkata", "en", None),
    ("closer", "jake@closers.demo", "Jake Thompson", "America/Los_Angeles", "en", None),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet. Returns (role, email, state) rows.

    Demo closers come out approved (vetted), so they show up in search straight away.
    """
    rows = []
    for role, email, name, zone, language, business_name in DEMO_USERS:
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is not None:
            _approve_demo_closer(existing)
            rows.append((role, email, "exists"))
            continue
        if role == "admin":
            accounts.create_admin(db.session, email=email, password=DEMO_PASSWORD, name=name)
        else:
            accounts.signup(
                db.session,
                accounts.SignupData(
                    email=email,
                    password=DEMO_PASSWORD,
                    name=name,
                    role=role,
                    timezone=zone,
                    language=language,
                    business_name=business_name,
                ),
            )
            _approve_demo_closer(db.session.scalar(select(User).where(User.email == email)))
        rows.append((role, email, "created"))
    return rows


def _approve_demo_closer(user: User | None) -> None:
    if user is not None and user.role == Role.CLOSER and not is_approved(db.session, user.id):
        mark_approved(db.session, user, actor="seed-demo")
        db.session.commit()


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load demo businesses, closers and an admin (safe to run again)."""
        # The demo's welcome emails stay readable in the outbox; keep the console to the logins.
        logging.getLogger("closerhub.notifications.service").setLevel(logging.WARNING)
        rows = seed_demo()
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for role, email, state in rows:
            click.echo(f"  {role:<9} {email:<32} {state}")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", default="Admin", show_default=True)
    @click.password_option()
    def create_admin_command(email: str, name: str, password: str) -> None:
        """Create a platform admin (admins cannot sign up on the web)."""
        try:
            user = accounts.create_admin(db.session, email=email, password=password, name=name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Admin {user.email} ready (id {user.id}).")
