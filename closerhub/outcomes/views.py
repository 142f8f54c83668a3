"""Outcome pages: the closer's report form, the business's confirmations, the closer's earnings, admin disputes.

Thin views: parse a form, call ``outcomes.service`` (the same functions as the API),
render or redirect. A service error shows the page again with the message and changes
nothing; another tenant's objects answer 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import admin_required, business_required, closer_required
from closerhub.booking.views import render_call_page
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.money import Money, parse_money
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import current_locale
from closerhub.outcomes import instalment_queries, reviews, service, settlement
from closerhub.outcomes.commands import OutcomeData
from closerhub.outcomes.forms import DisputeForm, OutcomeForm, ResolveForm, ReviewForm, money_or_error
from closerhub.outcomes.instalment_forms import MissDecisionForm
from closerhub.outcomes.models import Outcome, OutcomeStatus, outcome_list_loads

bp = Blueprint("outcomes", __name__)

LIST_LIMIT = 200


@bp.app_template_global("money_of")
def money_of(amount: int, currency: str) -> Money:
    """``Money`` from a ledger sum, for the ``money`` filter."""
    return Money(int(amount), currency)


def _me() -> User:
    return current_user


def _abort_hidden(exc: DomainError) -> None:
    if exc.status in (403, 404):
        abort(exc.status)


# --- the closer's report --------------------------------------------------------------


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["GET", "POST"])
@closer_required
def record(appointment_id: int) -> Response | tuple[str, int]:
    """Record the outcome of a call, or correct it while the business has not confirmed it."""
    try:
        appointment = service.find_appointment(db.session, appointment_id, _me())
    except DomainError:
        abort(404)
    if appointment.closer_id != _me().id:
        abort(403)
    outcome = service.outcome_of(db.session, appointment.id)
    offer_currency = appointment.offer.price_currency
    form = OutcomeForm() if request.method == "POST" else OutcomeForm.of(outcome)
    if request.method == "GET" and outcome is None:
        form.currency.data = offer_currency
    status = 200
    # Before the call starts the page says when the form opens instead of offering it; a direct
    # POST gets the service's own refusal (409) and the same page.
    not_open = outcome is None and clock.utcnow() < appointment.starts_at
    if request.method == "POST" and not_open:
        flash(_("The call has not started yet: record its outcome once it has."), "error")
        status = 409
    elif request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Please correct the highlighted fields."), "error")
            status = 422
        else:
            value, parse_error = money_or_error(form, offer_currency, current_locale())
            plan, plan_error = None, None
            try:
                plan = form.plan(value.currency if value else offer_currency, current_locale())
            except ValidationError as exc:
                plan_error = exc
            data = form.command(deal_value=value, plan=plan, zone=_me().timezone)
            try:
                if parse_error is not None and form.result.data == "won":
                    raise parse_error
                if plan_error is not None and form.result.data == "won":
                    raise plan_error
                if outcome is None:
                    outcome = service.record_outcome(db.session, _me(), appointment.id, data, now=clock.utcnow())
                    flash(_("Outcome recorded; the business has been asked to confirm it."), "success")
                else:
                    outcome = service.correct_outcome(db.session, _me(), outcome.id, data, now=clock.utcnow())
                    flash(_("Outcome corrected; the business has been told."), "success")
            except DomainError as exc:
                db.session.rollback()
                _abort_hidden(exc)
                show_errors(form, exc, OutcomeData)
                status = exc.status
                db.session.expire_all()
                outcome = service.outcome_of(db.session, appointment.id)
            else:
                return redirect(url_for("outcomes.record", appointment_id=appointment.id))
    return render_template(
        "outcomes/record.html",
        form=form,
        appointment=appointment,
        outcome=outcome,
        offer_currency=offer_currency,
        not_open=not_open,
    ), status


def _back(appointment_id: int) -> Response:
    """Where a business action returns: the call's page when it was made there, else the outcomes list."""
    if request.form.get("back") == "appointment":
        return redirect(url_for("appointments.show", appointment_id=appointment_id))
    return redirect(url_for("outcomes.pending"))


# --- the business's confirmations --------------------------------------------------------


def _business_outcomes(statuses: tuple[OutcomeStatus, ...] | None = None) -> list[Outcome]:
    stmt = select(Outcome).options(*outcome_list_loads()).where(Outcome.business_id == _me().business_id)
    if statuses:
        stmt = stmt.where(Outcome.status.in_(statuses))
    return list(db.session.scalars(stmt.order_by(Outcome.recorded_at.desc(), Outcome.id.desc()).limit(LIST_LIMIT)))


def _refused(outcome_id: int, status: int, form_name: str, form: FlaskForm) -> tuple[str, int]:
    """The page the form was posted from again, the form with its errors beside its fields.

    From the call's page (``back=appointment``) that is the call's page; else the outcomes list.
    """
    if request.form.get("back") == "appointment":
        outcome = db.session.get(Outcome, outcome_id)
        if outcome is not None:
            return render_call_page(outcome.appointment_id, status, **{form_name: form})
    if form_name == "review_form":
        return _render_pending(status, reviews_posted={outcome_id: form})
    return _render_pending(status, {outcome_id: form})


def _render_pending(
    status: int = 200,
    forms: dict[int, DisputeForm] | None = None,
    reviews_posted: dict[int, ReviewForm] | None = None,
) -> tuple[str, int]:
    waiting = _business_outcomes((OutcomeStatus.RECORDED,))
    others = [o for o in _business_outcomes() if o.status != OutcomeStatus.RECORDED]
    reviewed = reviews.reviews_of(db.session, others)
    return render_template(
        "outcomes/pending.html",
        waiting=waiting,
        others=others,
        reviewed=reviewed,
        action_form=ActionForm(formdata=None),
        dispute_forms=forms or {},
        blank_dispute=DisputeForm(formdata=None),
        review_form=ReviewForm(formdata=None),
        review_forms=reviews_posted or {},
    ), status


@bp.get("/outcomes/pending")
@business_required
def pending() -> tuple[str, int]:
    """Outcomes waiting for the business's confirmation, then the recent others."""
    return _render_pending()


@bp.post("/outcomes/<int:outcome_id>/confirm")
@business_required
def confirm(outcome_id: int) -> Response | tuple[str, int]:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = settlement.confirm(db.session, _me(), outcome_id, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        _abort_hidden(exc)
        flash(exc.message, "error")
        return _render_pending(exc.status)
    flash(_("Outcome confirmed."), "success")
    return _back(outcome.appointment_id)


@bp.post("/outcomes/<int:outcome_id>/dispute")
@business_required
def dispute(outcome_id: int) -> Response | tuple[str, int]:
    form = DisputeForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _refused(outcome_id, 422, "dispute_form", form)
    try:
        outcome = settlement.dispute(db.session, _me(), outcome_id, form.reason.data, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        _abort_hidden(exc)
        show_errors(form, exc)
        return _refused(outcome_id, exc.status, "dispute_form", form)
    flash(_("Outcome disputed; an admin will decide and everyone will be told."), "success")
    return _back(outcome.appointment_id)


@bp.post("/outcomes/<int:outcome_id>/review")
@business_required
def review(outcome_id: int) -> Response | tuple[str, int]:
    form = ReviewForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _refused(outcome_id, 422, "review_form", form)
    try:
        added = reviews.add_review(
            db.session, _me(), outcome_id, form.rating.data, form.comment.data or "", now=clock.utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        _abort_hidden(exc)
        show_errors(form, exc)
        return _refused(outcome_id, exc.status, "review_form", form)
    flash(_("Thank you: your review is saved."), "success")
    return _back(added.appointment_id)


# --- admin: disputes ------------------------------------------------------------------


def _render_disputes(status: int = 200, forms: dict[int, ResolveForm] | None = None) -> tuple[str, int]:
    stmt = select(Outcome).options(*outcome_list_loads()).where(Outcome.status == OutcomeStatus.DISPUTED)
    stmt = stmt.order_by(Outcome.disputed_at)
    recent = select(Outcome).options(*outcome_list_loads()).where(Outcome.resolved_at.is_not(None))
    recent = recent.order_by(Outcome.resolved_at.desc()).limit(50)
    return render_template(
        "outcomes/disputes.html",
        disputes=list(db.session.scalars(stmt.limit(LIST_LIMIT))),
        resolved=list(db.session.scalars(recent)),
        forms=forms or {},
        blank_form=ResolveForm(formdata=None),
        miss_disputes=instalment_queries.open_miss_disputes(db.session),
        miss_form=MissDecisionForm(formdata=None),
    ), status


@bp.get("/admin/disputes")
@admin_required
def disputes() -> tuple[str, int]:
    """Open disputes, oldest first, each with its resolve form; then the recent decisions."""
    return _render_disputes()


@bp.post("/admin/disputes/<int:outcome_id>/resolve")
@admin_required
def resolve(outcome_id: int) -> Response | tuple[str, int]:
    form = ResolveForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _render_disputes(422, {outcome_id: form})
    try:
        outcome = service.find_outcome(db.session, outcome_id, _me())
        value = None
        if form.action.data == "adjust":
            if not (form.deal_value.data or "").strip():
                raise ValidationError(
                    _("Enter the adjusted value."), field_errors={"deal_value": _("Enter the value.")}
                )
            value = parse_money(
                form.deal_value.data,
                outcome.deal_currency or "EUR",
                current_locale(),
                allow_negative=True,
                field="deal_value",
            )
        settlement.resolve_dispute(
            db.session,
            _me(),
            outcome_id,
            note=form.note.data,
            void=form.action.data == "void",
            deal_value=value,
            now=clock.utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        _abort_hidden(exc)
        show_errors(form, exc)
        return _render_disputes(exc.status, {outcome_id: form})
    flash(_("Dispute resolved; the closer and the business have been told."), "success")
    return redirect(url_for("outcomes.disputes"))
