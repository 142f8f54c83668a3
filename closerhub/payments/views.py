"""Pages: a closer's payout setup (Stripe Connect onboarding) and a business's card (billing).

Both pages work in the two modes: with Stripe keys they drive Stripe; without them
(manual mode) they say plainly how the platform pays and invoices by hand.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import business_required, closer_required
from closerhub.businesses.models import Business
from closerhub.core.errors import DomainError, PermissionDenied
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.notifications.service import public_url
from closerhub.payments.charges import billing
from closerhub.payments.connect import service as connect
from closerhub.payments.forms import PayoutDetailsForm
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.stripe.gateway import get_gateway
from closerhub.payments.stripe.results import GatewayError
from closerhub.security import CSP

payouts_bp = Blueprint("payouts_setup", __name__, url_prefix="/payouts/setup")
billing_bp = Blueprint("billing", __name__, url_prefix="/billing")

STRIPE_JS = "https://js.stripe.com/v3/"


# -- Closer: payout setup --------------------------------------------------------


def _render_setup(form: PayoutDetailsForm | None = None, status_code: int = 200) -> tuple[str, int]:
    user: User = current_user
    status = connect.setup_status(db.session, get_gateway(), user)
    row = payout_details.details_of(db.session, user.id) if status.manual_mode else None
    html = render_template(
        "payments/payouts_setup.html",
        status=status,
        details=payout_details.public_view(row) if row is not None else None,
        form=form or PayoutDetailsForm(formdata=None),
    )
    return html, status_code


@payouts_bp.get("")
@closer_required
def show() -> tuple[str, int]:
    """Where the closer's payouts stand: what Stripe still needs, or (manual mode) the bank details, masked."""
    return _render_setup()


@payouts_bp.post("/details")
@closer_required
def save_details() -> Response | tuple[str, int]:
    """Manual mode: save the closer's bank details (sealed, audited, emailed); errors beside their fields."""
    if get_gateway().is_configured():
        abort(404)  # Stripe mode: Stripe holds the bank details (Connect onboarding)
    form = PayoutDetailsForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("The form expired; please send it again."), "error")
        return _render_setup(form, 422)
    try:
        payout_details.save(db.session, current_user, form.command(), clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc, BankDetails)
        return _render_setup(form, 422)
    flash(_("Your payout details are saved. We sent you an email about the change."), "success")
    return redirect(url_for("payouts_setup.show"))


def _onboarding_redirect(user: User) -> Response:
    try:
        url = connect.start_onboarding(
            db.session,
            get_gateway(),
            user,
            refresh_url=public_url("payouts_setup.refresh"),
            return_url=public_url("payouts_setup.returned"),
            now=clock.utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("payouts_setup.show"))
    return redirect(url)


@payouts_bp.post("/start")
@closer_required
def start() -> Response:
    """Create the Express account (once) and send the closer to Stripe's onboarding."""
    return _onboarding_redirect(current_user)


@payouts_bp.get("/refresh")
@closer_required
def refresh() -> Response:
    """Stripe sends the closer here when a link expired: make a fresh one."""
    return _onboarding_redirect(current_user)


@payouts_bp.get("/return")
@closer_required
def returned() -> Response:
    """Back from Stripe: read the account's state now rather than wait for the webhook."""
    user: User = current_user
    try:
        row = connect.refresh_account(db.session, get_gateway(), user, clock.utcnow())
    except GatewayError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("payouts_setup.show"))
    if row is not None and row.payouts_enabled:
        flash(_("Your payout account is ready."), "success")
    else:
        flash(_("Stripe still needs some information before it can pay you."), "info")
    return redirect(url_for("payouts_setup.show"))


# -- Business: payment method ------------------------------------------------------


def _stripe_csp() -> str:
    """The site's CSP plus what Stripe.js needs (its script, its iframes, its API), for this page only."""
    extra = {
        "script-src": "https://js.stripe.com",
        "frame-src": "https://js.stripe.com https://hooks.stripe.com",
        "connect-src": "https://api.stripe.com",
    }
    parts = []
    seen = set()
    for directive in CSP.split("; "):
        name = directive.split(" ", 1)[0]
        seen.add(name)
        parts.append(f"{directive} {extra[name]}" if name in extra else directive)
    parts += [f"{name} {value}" for name, value in extra.items() if name not in seen]
    return "; ".join(parts)


def _owner_business() -> Business:
    user: User = current_user
    business = db.session.get(Business, user.business_id) if user.business_id else None
    if business is None or not business.is_owner(user):
        raise PermissionDenied(_("Only the owner of the business manages its payment method."))
    return business


def _render_billing(status: int = 200, error: str | None = None) -> tuple[str, int] | Response:
    try:
        business = _owner_business()
    except PermissionDenied:
        abort(403)
    gateway = get_gateway()
    row = billing.billing_of(db.session, business.id)
    setup = None
    if gateway.is_configured():
        try:
            setup = billing.start_setup(db.session, gateway, current_user, clock.utcnow())
        except GatewayError as exc:
            db.session.rollback()
            error = error or exc.message
        row = billing.billing_of(db.session, business.id)
    html = render_template(
        "payments/billing.html",
        business=business,
        billing=row,
        stripe_mode=gateway.is_configured(),
        setup=setup,
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_js=STRIPE_JS,
        error=error,
    )
    response = make_response(html, status)
    if setup is not None:
        response.headers["Content-Security-Policy"] = _stripe_csp()
    return response


@billing_bp.get("")
@business_required
def show_billing() -> tuple[str, int] | Response:
    """The saved card (brand, last 4, expiry) and a form to add or replace it; or the manual-mode note."""
    return _render_billing()


@billing_bp.post("/payment-method")
@business_required
def save_payment_method() -> tuple[str, int] | Response:
    """Stripe.js confirmed the SetupIntent: make its card the business's default."""
    if not get_gateway().is_configured():
        flash(_("Cards are not taken online on this platform."), "error")
        return redirect(url_for("billing.show_billing"))
    try:
        _owner_business()
    except PermissionDenied:
        abort(403)
    try:
        row = billing.save_payment_method(
            db.session,
            get_gateway(),
            current_user,
            request.form.get("payment_method", ""),
            clock.utcnow(),
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_billing(422, error=exc.message)
    brand = (row.card_brand or _("card")).title()  # Stripe's brand ("visa"), else the word in the reader's language
    flash(_("Card saved: %(brand)s ending in %(last4)s.", brand=brand, last4=row.card_last4), "success")
    return redirect(url_for("billing.show_billing"))
