"""Instalment pages: an outcome's payment plan, where the business marks instalments collected, missed or
refunded and the closer disputes a missed marking; the admin settles such disputes.

Thin views over ``outcomes.instalments`` (the same functions as the API). A refused action
shows the page again with the message beside the form and changes nothing; another tenant's
outcome is a 404.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import admin_required, business_required, closer_required, login_required
from closerhub.core.errors import DomainError
from closerhub.core.money import parse_money
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import current_locale
from closerhub.outcomes import collection_import, instalments, service
from closerhub.outcomes.instalment_forms import (
    CollectForm,
    CollectionImportForm,
    MissDecisionForm,
    MissDisputeForm,
    RefundForm,
)
from closerhub.outcomes.views import bp


def _me() -> User:
    return current_user


def _render(outcome_id: int, status: int = 200, posted: dict[str, FlaskForm] | None = None) -> tuple[str, int]:
    try:
        outcome = service.find_outcome(db.session, outcome_id, _me())
    except DomainError:
        abort(404)
    plan = instalments.instalments_of(db.session, outcome.id)
    today = clock.utcnow().date()
    return render_template(
        "outcomes/instalments.html",
        outcome=outcome,
        today=today,  # a due instalment before today reads "Overdue"
        plan=plan,
        earned=sum(i.commission_accrued for i in plan),
        expected=instalments.expected_commission(outcome, plan),
        posted=posted or {},
        collect_form=CollectForm(formdata=None, collected_on=today),
        refund_form=RefundForm(formdata=None),
        dispute_form=MissDisputeForm(formdata=None),
        action_form=ActionForm(formdata=None),
    ), status


@bp.get("/outcomes/<int:outcome_id>/instalments")
@login_required
def instalments_page(outcome_id: int) -> tuple[str, int]:
    """The plan of a won deal: each instalment's state, and what the closer earned and may still earn."""
    return _render(outcome_id)


def _act(
    instalment_id: int, form: FlaskForm, form_key: str, action: Callable[[], object], done: str
) -> Response | tuple[str, int]:
    """Run ``action`` for a valid form; on refusal show the outcome's page again with the form's errors."""
    try:
        instalment = instalments.find_instalment(db.session, instalment_id, _me())
    except DomainError:
        abort(404)
    outcome_id = instalment.outcome_id
    key = f"{form_key}-{instalment_id}"
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _render(outcome_id, 422, {key: form})
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        show_errors(form, exc)
        flash(exc.message, "error")
        return _render(outcome_id, exc.status, {key: form})
    flash(done, "success")
    return redirect(url_for("outcomes.instalments_page", outcome_id=outcome_id))


@bp.post("/instalments/<int:instalment_id>/collect")
@business_required
def collect(instalment_id: int) -> Response | tuple[str, int]:
    form = CollectForm()
    return _act(
        instalment_id,
        form,
        "collect",
        lambda: instalments.collect(db.session, _me(), instalment_id, form.collected_on.data, now=clock.utcnow()),
        _("Instalment marked collected."),
    )


@bp.post("/instalments/<int:instalment_id>/miss")
@business_required
def miss(instalment_id: int) -> Response | tuple[str, int]:
    return _act(
        instalment_id,
        ActionForm(),
        "miss",
        lambda: instalments.miss(db.session, _me(), instalment_id, now=clock.utcnow()),
        _("Instalment marked missed; the closer is told and may dispute it."),
    )


@bp.post("/instalments/<int:instalment_id>/refund")
@business_required
def refund(instalment_id: int) -> Response | tuple[str, int]:
    form = RefundForm()

    def action() -> None:
        instalment = instalments.find_instalment(db.session, instalment_id, _me())
        amount = parse_money(form.amount.data, instalment.currency, current_locale(), field="amount")
        instalments.refund(db.session, _me(), instalment_id, amount, now=clock.utcnow())

    return _act(instalment_id, form, "refund", action, _("Refund recorded."))


@bp.post("/instalments/<int:instalment_id>/dispute-miss")
@closer_required
def dispute_miss(instalment_id: int) -> Response | tuple[str, int]:
    form = MissDisputeForm()
    return _act(
        instalment_id,
        form,
        "dispute",
        lambda: instalments.dispute_miss(db.session, _me(), instalment_id, form.reason.data, now=clock.utcnow()),
        _("Dispute sent; an admin will decide."),
    )


@bp.post("/admin/instalments/<int:instalment_id>/resolve-miss")
@admin_required
def resolve_miss(instalment_id: int) -> Response | tuple[str, int]:
    form = MissDecisionForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Choose keep or back to due."), "error")
        return redirect(url_for("outcomes.disputes"))
    try:
        instalments.resolve_miss_dispute(db.session, _me(), instalment_id, form.decision.data, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        flash(exc.message, "error")
        return redirect(url_for("outcomes.disputes"))
    flash(_("Missed instalment settled."), "success")
    return redirect(url_for("outcomes.disputes"))


@bp.route("/outcomes/collections/import", methods=["GET", "POST"])
@business_required
def import_collections() -> tuple[str, int]:
    """Upload a CSV of collections; the answer is the report (instalments collected, rows rejected)."""
    form = CollectionImportForm()
    if request.method == "GET":
        return render_template("outcomes/collections_import.html", form=form, report=None), 200
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        return render_template("outcomes/collections_import.html", form=form, report=None), 422
    upload = form.file.data
    try:
        report = collection_import.import_collections(
            db.session, _me(), upload.read(), locale=current_locale(), now=clock.utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        form.file.errors = [exc.field_errors.get("file", exc.message)]
        return render_template("outcomes/collections_import.html", form=form, report=None), 422
    return render_template("outcomes/collections_import.html", form=form, report=report), 200
