"""``flask payouts run``: a payout run from the command line (cron, or an operator by hand)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from closerhub import clock
from closerhub.core.errors import DomainError
from closerhub.extensions import db
from closerhub.payments.payouts.service import run_payouts

payouts_group = AppGroup("payouts", help="Pay closers their available balances.")


@payouts_group.command("run")
def run_command() -> None:
    """Pay every closer whose available balance reaches the minimum (Stripe transfers, or a manual batch)."""
    try:
        report = run_payouts(db.session, clock.utcnow(), triggered_by="cli", read_clock=clock.utcnow)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    why_skipped = "account not ready" if report.mode.value == "stripe" else "waiting for payout details"
    click.echo(
        f"Payout run #{report.run_id} ({report.mode.value}): {report.paid} paid, {report.manual} to pay by hand, "
        f"{report.failed} failed, {report.retrying} to retry, {report.skipped} skipped ({why_skipped}), "
        f"{report.repaired} repaired from earlier runs."
    )
