"""Flask commands: ``flask seed-demo`` and ``flask create-admin``."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts.verification import queue_verification_email
from closerhub.analytics.refresh import refresh as refresh_analytics
from closerhub.core.errors import DomainError
from closerhub.demo import DEMO_PASSWORD, DEMO_USERS, demo_counts, seed_demo
from closerhub.extensions import db
from closerhub.notifications.service import public_url
from closerhub.payments.payouts.cli import payouts_group

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "init_app"]


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load a lively demo marketplace: accounts, offers, leads, calls and earnings (safe to run again)."""
        # The demo's emails stay readable in the outbox; keep the console to the logins.
        logging.getLogger("closerhub.notifications.service").setLevel(logging.WARNING)
        report = seed_demo(db.session, clock.utcnow())
        # The analytics pages show the demo at once, not after the worker's first minute.
        db.session.commit()
        refresh_analytics(db.engine, clock.utcnow())
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for role, email, state in report.logins:
            click.echo(f"  {role:<9} {email:<32} {state}")
        click.echo("Public booking pages:")
        for business, offer, key in report.booking_links:
            click.echo(f"  {business:<16} {public_url('booking_public.book', key=key)}  ({offer})")
        counts = demo_counts(db.session)
        click.echo("Demo data: " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", default="Admin", show_default=True)
    @click.password_option()
    def create_admin_command(email: str, name: str, password: str) -> None:
        """Create a platform admin (admins cannot sign up on the web)."""
        try:
            user = accounts.create_admin(db.session, email=email, password=password, name=name, now=clock.utcnow())
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Admin {user.email} ready (id {user.id}).")
        if user.email_verified_at is None:
            # The operator typed the address: the admin proves it reaches them, like everyone else
            # (each run while unverified sends a fresh link).
            queue_verification_email(db.session, user, now=clock.utcnow())
            db.session.commit()
            where = "" if current_app.config.get("MAIL_SERVER") else " (no mail server: see the outbox)"
            click.echo(f"Not verified yet: a link to verify the address was emailed to {user.email}{where}.")

    app.cli.add_command(payouts_group)  # flask payouts run
