"""Lead pages for the business's team: the list with search, a lead by hand, a lead's page
(context and calls), editing, and the CSV import with its report.

Views parse the request and call ``booking.leads`` (the API calls the same functions).
Another business's lead is a 404, exactly like a missing one.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import business_required
from closerhub.businesses.models import Business
from closerhub.core import csv_import, csv_safe
from closerhub.core.errors import DomainError, NotFound, ValidationError
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import zone_options
from closerhub.leads import cleaning as lead_cleaning
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.leads.forms import LeadForm, LeadImportForm
from closerhub.leads.models import Lead

bp = Blueprint("leads", __name__, url_prefix="/leads")

PER_PAGE = 50
# The upload may be a little larger than the file limit (multipart framing), so that a file
# just over 2 MB reaches the service and gets its precise message rather than a bare 413.
UPLOAD_MAX_BYTES = csv_import.MAX_BYTES + 256 * 1024
REJECTED_MAX_CHARS = 4 * 1024 * 1024


@bp.app_template_global("endpoint_exists")
def endpoint_exists(endpoint: str) -> bool:
    """True when the app has a view for ``endpoint`` (links to features that may not be installed)."""
    return endpoint in current_app.view_functions


@bp.url_value_preprocessor
def _upload_limits(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # The app-wide body limit (MAX_CONTENT_LENGTH, 2 MB) would answer a bare 413 from CSRF
    # checking, before the view runs. URL value preprocessors run before any before_request
    # hook, so the import endpoints raise their own limit here and say clearly what is wrong.
    if endpoint == "leads.import_page":
        request.max_content_length = UPLOAD_MAX_BYTES
    elif endpoint == "leads.rejected_csv":
        request.max_content_length = request.max_form_memory_size = 2 * REJECTED_MAX_CHARS


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> RequestEntityTooLarge | tuple[str, int]:
    """An upload over the limit: the form again, with the reason (not a bare 413 page)."""
    if request.endpoint != "leads.import_page":
        return exc
    form = LeadImportForm(formdata=None)
    form.file.errors = [_("The file is larger than 2 MB. Split it into smaller files.")]
    return render_template("leads/import.html", form=form), 413


def _user() -> User:
    return current_user


def _zones() -> list[tuple[str, str]]:
    return zone_options(clock.utcnow())


def _lead_or_404(lead_id: int) -> Lead:
    try:
        return leads.find_lead(db.session, lead_id, _user())
    except NotFound:
        abort(404)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


@bp.get("")
@business_required
def index() -> str:
    """The business's leads, newest first; ``?q=`` searches names and emails."""
    q = (request.args.get("q") or "").strip()[: lead_cleaning.SEARCH_MAX]
    page = leads.list_leads(db.session, _user(), q=q, page=_page_arg(), per_page=PER_PAGE)
    return render_template("leads/index.html", page=page, q=q)


def _save_form(form: LeadForm, save: Callable[[LeadDetails], Lead]) -> Lead | None:
    """Validate and save; on error the form carries every message and nothing is saved."""
    shape_ok = form.validate_on_submit()
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        abort(400)
    if not shape_ok:
        # WTForms' messages stay; the service's rules speak for the fields WTForms accepted.
        try:
            lead_cleaning.clean_lead_details(form.details())
        except ValidationError as exc:
            for name, message in exc.field_errors.items():
                field = getattr(form, name, None)
                if field is not None and not field.errors:
                    field.errors = [message]
        flash(_("Please correct the highlighted fields."), "error")
        return None
    try:
        return save(form.details())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        show_errors(form, exc, LeadDetails)
        return None


@bp.route("/new", methods=["GET", "POST"])
@business_required
def new() -> Response | tuple[str, int]:
    """Add a lead by hand; the time zone defaults to the business's."""
    user = _user()
    form = LeadForm()
    if request.method == "GET":
        business = db.session.get(Business, user.business_id)
        form.timezone.data = business.timezone if business else user.timezone
        return render_template("leads/form.html", form=form, lead=None, zones=_zones()), 200
    lead = _save_form(form, lambda data: leads.create_lead(db.session, user, data, now=clock.utcnow()))
    if lead is None:
        return render_template("leads/form.html", form=form, lead=None, zones=_zones()), 422
    flash(_("Lead “%(name)s” added.", name=lead.name), "success")
    return redirect(url_for("leads.show", lead_id=lead.id))  # type: ignore[return-value]


@bp.get("/<int:lead_id>")
@business_required
def show(lead_id: int) -> str:
    """The lead's context for the closer, and its calls (times in the viewer's zone and the lead's)."""
    lead = _lead_or_404(lead_id)
    return render_template(
        "leads/show.html",
        lead=lead,
        appointments=leads.lead_calls(db.session, lead, _user()),
        can_book="appointments.new" in current_app.view_functions,
        can_edit=leads.can_edit_lead(lead, _user()),
    )


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@business_required
def edit(lead_id: int) -> Response | tuple[str, int]:
    """Change a lead; a blank optional field is cleared."""
    user = _user()
    lead = _lead_or_404(lead_id)
    if not leads.can_edit_lead(lead, user):
        abort(403)
    if request.method == "GET":
        data = {name: getattr(lead, name) for name in lead_cleaning.LEAD_FIELDS if name != "phone_e164"}
        form = LeadForm(formdata=None, data={**data, "phone": lead.phone_e164 or ""})
        return render_template("leads/form.html", form=form, lead=lead, zones=_zones()), 200
    form = LeadForm()
    saved = _save_form(form, lambda data: leads.update_lead(db.session, user, lead_id, data, now=clock.utcnow()))
    if saved is None:
        db.session.refresh(lead)
        return render_template("leads/form.html", form=form, lead=lead, zones=_zones()), 422
    flash(_("Lead “%(name)s” saved.", name=saved.name), "success")
    return redirect(url_for("leads.show", lead_id=saved.id))  # type: ignore[return-value]


@bp.route("/import", methods=["GET", "POST"])
@business_required
def import_page() -> Response | tuple[str, int]:
    """Upload a CSV of leads; the answer is the import's report (created, updated, rejected rows)."""
    if request.method == "GET":
        return render_template("leads/import.html", form=LeadImportForm()), 200
    form = LeadImportForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        return render_template("leads/import.html", form=form), 422
    upload = form.file.data
    filename = (upload.filename or "").lower()
    if not filename.endswith((".csv", ".txt")):
        form.file.errors = [_("Upload a .csv file (save the sheet as “CSV UTF-8”).")]
        return render_template("leads/import.html", form=form), 422
    user = _user()
    business = db.session.get_one(Business, user.business_id)
    try:
        report = leads.import_csv(db.session, business, upload.read(), actor=user, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        form.file.errors = [exc.field_errors.get("file", exc.message)]
        return render_template("leads/import.html", form=form), 422
    return render_template("leads/import_report.html", report=report, filename=upload.filename), 200


@bp.post("/import/rejected.csv")
@business_required
def rejected_csv() -> Response:
    """Download the rejected rows the report page carries (the user's own data, sent back as a file)."""
    if not ActionForm().validate():
        abort(400)
    text = request.form.get("rejected", "")
    if not text or len(text) > REJECTED_MAX_CHARS:
        abort(400)
    try:  # the text comes back from the browser: written again through the one safe CSV writer
        body = csv_safe.resafe(text)
    except csv.Error:
        abort(400)
    return Response(
        "\ufeff" + body,  # the BOM makes Excel read it as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="rejected-leads.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
