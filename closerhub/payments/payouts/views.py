"""``/admin/payouts``: runs, their payouts, failed ones, the manual batch (CSV, mark paid), and the run button.

Every change goes through a confirmation page (a form with its CSRF token); the views call
the same service functions as the API and the CLI. Also the closer's payouts section of
``/earnings`` (a template global, so the earnings view stays as it is).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import admin_required
from closerhub.core.errors import DomainError, NotFound
from closerhub.extensions import db
from closerhub.forms_util import ActionForm
from closerhub.payments.ledger import service as ledger
from closerhub.payments.payouts import bank_files
from closerhub.payments.payouts import batches as payout_batches
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.models import NoticeKind, Payout, PayoutNotice, PayoutStatus, RunMode
from closerhub.payments.payouts.service import payout_minimum, run_payouts
from closerhub.payments.stripe.gateway import stripe_mode

bp = Blueprint("admin_payouts", __name__, url_prefix="/admin/payouts")

CLOSER_PAYOUTS_SHOWN = 20


@bp.app_template_global("closer_payouts")
def closer_payouts(closer_id: int) -> dict[str, object]:
    """The closer's latest payouts and bank payout failures, for the earnings page.

    ``waiting_for_details``: manual mode, a run skipped the closer (its ``cannot_receive``
    notice, cleared once paid) and they still have no usable payout details.
    """
    stmt = select(Payout).where(Payout.closer_id == closer_id).order_by(Payout.id.desc()).limit(CLOSER_PAYOUTS_SHOWN)
    manual_mode = not stripe_mode()
    waiting = False
    if manual_mode:
        skipped = db.session.scalar(
            select(PayoutNotice.id).where(
                PayoutNotice.closer_id == closer_id, PayoutNotice.kind == NoticeKind.CANNOT_RECEIVE
            )
        )
        waiting = skipped is not None and not payout_details.usable_closer_ids(db.session, [closer_id])
    return {
        "payouts": list(db.session.scalars(stmt)),
        "bank_failures": payout_batches.bank_failures(db.session, closer_id, limit=5),
        "manual_mode": manual_mode,
        "waiting_for_details": waiting,
    }


def _owing() -> list[tuple[ledger.Balance, User]]:
    """Closers whose available balance is negative (a clawback after payout): the next payout nets it off."""
    negative = [b for b in ledger.balances(db.session) if b.available < 0]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({b.closer_id for b in negative})))}
    return [(b, users[b.closer_id]) for b in negative if b.closer_id in users]


@bp.get("")
@admin_required
def index() -> str:
    """Runs (newest first) with counts and totals, payouts needing attention, bank payout failures."""
    return render_template(
        "payments/admin_payouts.html",
        runs=payout_batches.recent_runs(db.session),
        attention=payout_batches.needing_attention(db.session),
        bank_failures=payout_batches.bank_failures(db.session),
        manual_mode=not stripe_mode(),
        minimum=payout_minimum(db.session),
        owing=_owing(),
    )


@bp.route("/run", methods=["GET", "POST"])
@admin_required
def run() -> ResponseReturnValue:
    """A confirmation page, then a payout run now (the same run as the weekly job)."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            report = run_payouts(db.session, clock.utcnow(), triggered_by=current_user, read_clock=clock.utcnow)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("admin_payouts.index"))
        if report.mode is RunMode.MANUAL:
            done = _(
                "Payout run #%(id)s done: %(manual)s to pay by hand, %(skipped)s skipped (waiting for payout details).",
                id=report.run_id,
                manual=report.manual,
                skipped=report.skipped,
            )
        else:
            done = _(
                "Payout run #%(id)s done: %(paid)s paid, %(manual)s to pay by hand, %(failed)s failed, "
                "%(skipped)s skipped (payout account not ready).",
                id=report.run_id,
                paid=report.paid,
                manual=report.manual,
                failed=report.failed,
                skipped=report.skipped,
            )
        flash(done, "success")
        return redirect(url_for("admin_payouts.show_run", run_id=report.run_id))
    status = 200
    if form.is_submitted():  # a POST without a valid CSRF token: nothing ran
        flash(_("The form expired; please confirm again."), "error")
        status = 400
    return render_template(
        "payments/admin_payouts_confirm.html",
        form=form,
        action="run",
        manual_mode=not stripe_mode(),
        minimum=payout_minimum(db.session),
    ), status


def _run_or_404(run_id: int):
    try:
        return payout_batches.get_run(db.session, run_id)
    except NotFound:
        abort(404)


@bp.get("/runs/<int:run_id>")
@admin_required
def show_run(run_id: int) -> str:
    """One run: every payout with its closer, amount and status."""
    run = _run_or_404(run_id)
    blocked: list[tuple[Payout, str]] = []
    masked: dict[int, dict[str, object]] = {}
    markable: list[Payout] = []
    waiting: list[tuple[User, ledger.Balance]] = []
    if run.mode is RunMode.MANUAL:
        # run.payouts first: the bank lines' eager load of the closers then lands on these rows (no query per row).
        ids = sorted({p.closer_id for p in run.payouts})
        blocked = bank_files.blocked_summary(db.session, run)
        masked = {cid: row.display for cid, row in payout_details.details_by_closer(db.session, ids).items()}
        markable = payout_batches.markable(db.session, run)
        # Skipped by the run (nothing reserved): listed with the balance that waits for their details.
        waiting = payout_batches.waiting_for_details(db.session, payout_minimum(db.session))
    return render_template(
        "payments/admin_payout_run.html",
        run=run,
        manual_pending=markable,
        blocked=blocked,
        masked=masked,
        waiting=waiting,
    )


@bp.get("/runs/<int:run_id>/batch.csv")
@admin_required
def batch_csv(run_id: int) -> Response:
    """The run's manual batch as CSV with each payee's bank details (audited download)."""
    _run_or_404(run_id)
    body = bank_files.bank_csv(db.session, current_user, run_id, now=clock.utcnow())
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="payout-batch-{run_id}.csv"',
            "Cache-Control": "no-store",  # bank details: never kept by a cache
        },
    )


@bp.get("/runs/<int:run_id>/sepa.xml")
@admin_required
def sepa_xml(run_id: int) -> BaseResponse:
    """The run's EUR payouts to SEPA IBANs as a pain.001 credit transfer file (audited download)."""
    _run_or_404(run_id)
    try:
        body = bank_files.sepa_xml(db.session, current_user, run_id, clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin_payouts.show_run", run_id=run_id))
    return Response(
        body,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="payout-batch-{run_id}-sepa.xml"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/runs/<int:run_id>/mark-paid", methods=["GET", "POST"])
@admin_required
def mark_paid(run_id: int) -> ResponseReturnValue:
    """Confirm, then mark the run's manual batch paid (audited)."""
    run = _run_or_404(run_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            n = payout_batches.mark_batch_paid(db.session, current_user, run_id, clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("admin_payouts.show_run", run_id=run_id))
        flash(ngettext("%(num)d payout marked paid.", "%(num)d payouts marked paid.", n), "success")
        return redirect(url_for("admin_payouts.show_run", run_id=run_id))
    status = 200
    if form.is_submitted():
        flash(_("The form expired; please confirm again."), "error")
        status = 400
    return render_template(
        "payments/admin_payouts_confirm.html",
        form=form,
        action="mark_paid",
        run=run,
        manual_pending=payout_batches.markable(db.session, run),
        blocked=[
            (p, why)
            for p, why in bank_files.blocked_summary(db.session, run)
            if p.status is PayoutStatus.MANUAL_PENDING
        ],
    ), status
