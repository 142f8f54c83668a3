"""Offer pages for the business's team: the list, a new offer, editing one, rotating its booking key."""

from __future__ import annotations

from collections.abc import Callable

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import business_required, get_visible_or_404
from closerhub.businesses import offers, share
from closerhub.businesses.commands import OfferData
from closerhub.businesses.forms import OfferForm
from closerhub.businesses.models import Business, Offer
from closerhub.commands import rename_errors
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.money import Money, currency_exponent, parse_money
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import current_locale
from closerhub.notifications.service import public_url

bp = Blueprint("offers", __name__, url_prefix="/offers")


def _price_text(price: Money) -> str:
    """The price as the user would type it in their locale (``2500.00`` → ``2,500.00`` / ``2 500,00``)."""
    exp = currency_exponent(price.currency)
    pattern = "#,##0" + ("." + "0" * exp if exp else "")
    return format_decimal(price.to_decimal(), format=pattern, locale=current_locale())


@bp.app_template_global("share_items")
def share_items_global(user: User) -> list[share.ShareItem]:
    """The dashboard's Share panel: each active offer's link, embed code and QR code."""
    if user.business_id is None:
        return []
    return share.share_items(
        db.session,
        user.business_id,
        link_of=lambda offer: public_url("booking_public.book", key=offer.booking_key),
        script_url=public_url("booking_public.embed_js"),
        title=_("QR code of the booking page"),
    )


@bp.get("")
@business_required
def index() -> str:
    """Every offer of the business, active first, with its booking key."""
    return render_template(
        "businesses/offers.html",
        offers=offers.list_offers(db.session, current_user),
        action_form=ActionForm(),
    )


def _form_data(form: OfferForm) -> tuple[OfferData, dict[str, str]]:
    """The command from a submitted form, and the price's parse errors (reported with the others)."""
    errors: dict[str, str] = {}
    price: Money | None = None
    try:
        price = parse_money(
            form.price.data or "", (form.currency.data or "").strip().upper(), current_locale(), field="price"
        )
    except ValidationError as exc:
        errors.update(exc.field_errors or {"price": exc.message})
    return form.command(price), errors


def _save(form: OfferForm, save: Callable[[OfferData], Offer]) -> Offer | None:
    """Validate and save; on error the form carries every message at once and nothing is saved."""
    shape_ok = form.validate_on_submit()
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        abort(400)
    data, price_errors = _form_data(form)
    if not shape_ok:
        # The fields WTForms refused carry its message; the service's rules speak for the others.
        try:
            offers.check_offer(data)
        except ValidationError as exc:
            price_errors = {**rename_errors(exc, OfferData, "form").field_errors, **price_errors}
        for name, message in price_errors.items():
            field = getattr(form, name, None)
            if field is not None and not field.errors:
                field.errors = [message]
        flash(_("Please correct the highlighted fields."), "error")
        return None
    try:
        return save(data)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        exc.field_errors.update(price_errors)
        show_errors(form, exc, OfferData)
        return None


@bp.route("/new", methods=["GET", "POST"])
@business_required
def new() -> Response | tuple[str, int]:
    user: User = current_user
    business = db.session.get(Business, user.business_id)
    form = OfferForm()
    if request.method == "GET":
        form.currency.data = business.currency if business else "EUR"
        return render_template("businesses/offer_form.html", form=form, offer=None), 200
    offer = _save(form, lambda data: offers.create_offer(db.session, user, data, now=clock.utcnow()))
    if offer is None:
        return render_template("businesses/offer_form.html", form=form, offer=None), 422
    flash(_("Offer “%(name)s” created.", name=offer.name), "success")
    return redirect(url_for("offers.index"))


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@business_required
def edit(offer_id: int) -> Response | tuple[str, int]:
    user: User = current_user
    offer = get_visible_or_404(Offer, offer_id)
    if request.method == "GET":
        form = OfferForm(
            formdata=None,
            data={
                "name": offer.name,
                "price": _price_text(offer.price),
                "currency": offer.price_currency,
                "description": offer.description,
                "sales_cycle_days": offer.sales_cycle_days,
                "closing_script": offer.closing_script,
                "qualification_notes": offer.qualification_notes,
                "booking_questions": "\n".join(offer.booking_questions or []),
                "is_active": offer.is_active,
                "calls_recorded": offer.calls_recorded,
                "call_minutes": offer.call_minutes,
                "start_increment_minutes": offer.start_increment_minutes,
            },
        )
        return render_template("businesses/offer_form.html", form=form, offer=offer), 200
    form = OfferForm()
    saved = _save(form, lambda data: offers.update_offer(db.session, user, offer_id, data, now=clock.utcnow()))
    if saved is None:
        db.session.refresh(offer)
        return render_template("businesses/offer_form.html", form=form, offer=offer), 422
    flash(_("Offer “%(name)s” saved.", name=saved.name), "success")
    return redirect(url_for("offers.index"))


@bp.post("/<int:offer_id>/booking-key")
@business_required
def rotate_key(offer_id: int) -> Response:
    """A new booking key: links with the old one stop working."""
    get_visible_or_404(Offer, offer_id)
    if not ActionForm().validate():
        abort(400)
    try:
        offer = offers.rotate_booking_key(db.session, current_user, offer_id, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        abort(exc.status)
    flash(_("New booking key for “%(name)s”; the old links no longer work.", name=offer.name), "success")
    return redirect(url_for("offers.index"))
