"""Pages: a business's charges and receipts (``/billing/charges``) and the admin money desk (``/admin/money``).

Thin views over ``payments.charges``. A charge of another business answers 404; marking a
manual charge paid takes a confirmation page and a CSRF-protected POST, and is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import admin_required, business_required, login_required
from closerhub.core.errors import DomainError, NotFound
from closerhub.core.i18n import N_
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.i18n import current_locale
from closerhub.payments.charges import notices as charge_notices
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import refunds
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.commands import ManualReturn
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.forms import ReturnForm
from closerhub.payments.stripe.gateway import stripe_mode

bp = Blueprint("charges", __name__, url_prefix="/billing/charges")
desk_bp = Blueprint("money_desk", __name__, url_prefix="/admin/money")

LIST_LIMIT = 200
# Our legal name on receipts until the company's registered details are configured.
DEFAULT_LEGAL_NAME = N_("CloserHub (legal entity name to be confirmed)")


@bp.app_template_global("charge_status_label")
def charge_status_label(status: ChargeStatus) -> str:
    """The status in the reader's language."""
    return charge_notices.status_label(status)


def _visible(charge_id: int) -> Charge:
    try:
        return charge_queries.find_charge(db.session, charge_id, current_user)
    except NotFound:
        abort(404)


# -- Business ---------------------------------------------------------------------


@bp.get("")
@business_required
def list_charges() -> str:
    """The business's charges, newest first, with what to do about failed ones."""
    user: User = current_user
    rows = list(db.session.scalars(charge_queries.charges_query(user).limit(LIST_LIMIT)))
    return render_template("payments/charges.html", charges=rows, stripe_mode=stripe_mode())


@bp.get("/<int:charge_id>/receipt")
@login_required
def receipt(charge_id: int) -> str:
    """A printable receipt (or, while unpaid, a statement of what is due)."""
    charge = _visible(charge_id)
    return render_template(
        "payments/receipt.html",
        charge=charge,
        outcome=charge.outcome,
        legal_name=current_app.config.get("LEGAL_ENTITY_NAME") or _(DEFAULT_LEGAL_NAME),
    )


# -- Admin: the money desk ----------------------------------------------------------


class MarkPaidForm(FlaskForm):
    confirm = HiddenField()
    reference = StringField(
        _l("Bank transfer reference (optional)"),
        validators=[Optional(), Length(max=charges.REFERENCE_MAX)],
    )


@desk_bp.get("")
@admin_required
def desk() -> str:
    """Overdue and failed Stripe charges, and manual charges waiting for a bank transfer."""
    overdue_q, manual_q = charge_queries.desk_query(clock.utcnow())
    return render_template(
        "payments/money_desk.html",
        overdue=list(db.session.scalars(overdue_q.limit(LIST_LIMIT))),
        manual=list(db.session.scalars(manual_q.limit(LIST_LIMIT))),
        returnable=[] if stripe_mode() else list(db.session.scalars(refunds.returnable_query().limit(LIST_LIMIT))),
        stripe_mode=stripe_mode(),
    )


@desk_bp.route("/charges/<int:charge_id>/mark-paid", methods=["GET", "POST"])
@admin_required
def mark_paid(charge_id: int) -> str | Response | tuple[str, int]:
    """GET: the confirmation page. POST with ``confirm=yes``: record the bank transfer."""
    charge = _visible(charge_id)
    form = MarkPaidForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 422
        elif form.confirm.data != "yes":
            flash(_("Nothing was changed: confirm first."), "error")
            status = 422
        else:
            try:
                charges.mark_manual_paid(
                    db.session,
                    current_user,
                    charge.id,
                    form.reference.data or "",
                    clock.utcnow(),
                )
            except DomainError as exc:
                db.session.rollback()
                form.reference.errors = [*form.reference.errors, exc.message]
                charge = _visible(charge_id)
                status = 409 if exc.status == 409 else 422
            else:
                flash(_("Charge #%(id)s marked paid.", id=charge_id), "success")
                return redirect(url_for("money_desk.desk"))
    return render_template("payments/mark_paid.html", charge=charge, form=form), status


@desk_bp.route("/charges/<int:charge_id>/return", methods=["GET", "POST"])
@admin_required
def record_return(charge_id: int) -> str | Response | tuple[str, int]:
    """GET: the form. POST: record a refund or chargeback (full or partial) of a manual charge; audited."""
    charge = _visible(charge_id)
    form = ReturnForm()
    status = 200
    if request.method == "GET":
        form.expected.data = str(charge.refunded_amount)
    elif not form.validate_on_submit():
        status = 422
    else:
        try:
            returned = form.command(charge.currency, current_locale())
            refunds.record_manual_return(db.session, current_user, charge.id, returned, now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, ManualReturn)
            charge = _visible(charge_id)
            status = exc.status if exc.status in (404, 409) else 422
        else:
            flash(_("Recorded: the closer's commission was adjusted by the same rule as a Stripe refund."), "success")
            return redirect(url_for("money_desk.desk"))
    return render_template(
        "payments/record_return.html",
        charge=charge,
        form=form,
        remaining=refunds.remaining(charge),
        manual=refunds.is_manual(charge) and charge.status in refunds.MANUAL_RETURNABLE,
    ), status
