"""The Integrations pages: the owner's webhook endpoints (add, rotate, pause, delete) and each one's delivery log.

Owner only, like the team: a member of the business gets a 403 (the secrets sign what the
business's CRM trusts). The secret is shown once, in the answer to the POST that made it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import business_required
from closerhub.businesses.models import Business
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.tz import local_to_utc
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import select_timezone
from closerhub.webhooks import replay, service
from closerhub.webhooks.catalog import BY_TYPE
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.forms import EndpointForm, ReplayForm
from closerhub.webhooks.models import WebhookEndpoint

bp = Blueprint("integrations", __name__, url_prefix="/integrations")


def _business() -> Business:
    """The current user's business, if they own it (403 for members, 404 without a business)."""
    business = db.session.get(Business, current_user.business_id) if current_user.business_id else None
    if business is None:
        abort(404)
    if not business.is_owner(current_user):
        abort(403)
    return business


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    business = _business()
    try:
        return service.find_endpoint(db.session, business.id, endpoint_id)
    except DomainError:
        abort(404)


def _action() -> None:
    if not ActionForm().validate():
        abort(400)


def _render_index(form: EndpointForm, status: int = 200) -> tuple[str, int]:
    business = _business()
    endpoints = service.list_endpoints(db.session, business.id)
    return render_template(
        "integrations/index.html",
        endpoints=endpoints,
        last_deliveries=replay.last_delivery_by_endpoint(db.session, endpoints),
        form=form,
        action_form=ActionForm(),
        catalog=BY_TYPE,
    ), status


def _secret_page(endpoint: WebhookEndpoint, secret: str, created: bool) -> Response:
    page = make_response(render_template("integrations/secret.html", endpoint=endpoint, secret=secret, created=created))
    page.headers["Cache-Control"] = "no-store"  # shown once: not kept by the browser or a proxy
    return page


@bp.get("")
@business_required
def index() -> tuple[str, int]:
    """The business's endpoints with their last delivery, and the form to add one."""
    return _render_index(EndpointForm(formdata=None))


@bp.post("")
@business_required
def create() -> Response | tuple[str, int]:
    business = _business()
    form = EndpointForm()
    if not form.validate():
        csrf = getattr(form, "csrf_token", None)
        if csrf is not None and csrf.errors:
            abort(400)
    try:
        endpoint, secret = service.create_endpoint(
            db.session, business.id, service.clean_endpoint_input(form.command()), now=clock.utcnow()
        )
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc, NewEndpoint)
        return _render_index(form, 422)
    db.session.commit()
    return _secret_page(endpoint, secret, created=True)


@bp.post("/<int:endpoint_id>/rotate")
@business_required
def rotate(endpoint_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    _action()
    secret = service.rotate_secret(endpoint, now=clock.utcnow())
    db.session.commit()
    return _secret_page(endpoint, secret, created=False)


@bp.post("/<int:endpoint_id>/enable")
@business_required
def enable(endpoint_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    _action()
    service.set_enabled(endpoint, True)
    db.session.commit()
    flash(_("Endpoint enabled: waiting deliveries go out now."), "success")
    return redirect(url_for("integrations.index"))


@bp.post("/<int:endpoint_id>/disable")
@business_required
def disable(endpoint_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    _action()
    service.set_enabled(endpoint, False)
    db.session.commit()
    flash(_("Endpoint disabled: its deliveries wait until you enable it again."), "success")
    return redirect(url_for("integrations.index"))


@bp.route("/<int:endpoint_id>/delete", methods=["GET", "POST"])
@business_required
def delete(endpoint_id: int) -> Response | str:
    """GET asks for confirmation; POST deletes (the delivery log is kept)."""
    endpoint = _endpoint(endpoint_id)
    form = ActionForm()
    if not form.is_submitted():
        return render_template("integrations/delete.html", endpoint=endpoint, action_form=form)
    _action()
    service.delete_endpoint(endpoint, now=clock.utcnow())
    db.session.commit()
    flash(_("Endpoint %(url)s deleted.", url=endpoint.url), "success")
    return redirect(url_for("integrations.index"))


def _render_log(endpoint: WebhookEndpoint, replay_form: ReplayForm, status: int = 200) -> tuple[str, int]:
    deliveries = service.deliveries_of(db.session, endpoint)
    return render_template(
        "integrations/deliveries.html",
        endpoint=endpoint,
        deliveries=deliveries,
        attempts=replay.attempts_by_delivery(db.session, deliveries),
        replay_form=replay_form,
        action_form=ActionForm(),
    ), status


@bp.get("/<int:endpoint_id>")
@business_required
def deliveries(endpoint_id: int) -> tuple[str, int]:
    """The endpoint's latest 100 deliveries, each with its attempts."""
    return _render_log(_endpoint(endpoint_id), ReplayForm(formdata=None))


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
@business_required
def retry(endpoint_id: int, delivery_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    _action()
    try:
        service.retry_delivery(db.session, endpoint, delivery_id, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Delivery queued again: it goes out within seconds."), "success")
    return redirect(url_for("integrations.deliveries", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/test")
@business_required
def send_test(endpoint_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    _action()
    try:
        replay.send_test_event(db.session, endpoint, clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Test event queued: it goes out within seconds."), "success")
    return redirect(url_for("integrations.deliveries", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/replay")
@business_required
def replay_since(endpoint_id: int) -> Response | tuple[str, int]:
    endpoint = _endpoint(endpoint_id)
    form = ReplayForm()
    if not form.validate():
        csrf = getattr(form, "csrf_token", None)
        if csrf is not None and csrf.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _render_log(endpoint, form, 422)
    wall = form.since.data
    since = local_to_utc(wall.date(), wall.time(), select_timezone() or "UTC")
    try:
        if since is None:
            message = _("That time does not exist in your time zone (the clocks skip it).")
            raise ValidationError(message, field_errors={"since": message})
        count = replay.replay_since(db.session, endpoint, since, clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _render_log(endpoint, form, exc.status)
    db.session.commit()
    flash(ngettext("%(num)d event queued again.", "%(num)d events queued again.", count), "success")
    return redirect(url_for("integrations.deliveries", endpoint_id=endpoint.id))
