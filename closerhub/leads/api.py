"""API v1 routes of leads: create, list (newest first, searchable), read, change, import a CSV file.

Same service functions as the HTML pages (``booking.leads``). Another business's lead is
a 404, exactly like a missing one; a closer reads the leads they have a call with.
"""

from __future__ import annotations

from typing import Any

from flask import request

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import api_route
from closerhub.api.schemas import Page, dump
from closerhub.businesses.models import Business
from closerhub.commands import errors_for
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.leads import cleaning as lead_cleaning
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.leads.schemas import (
    ImportReportOut,
    ImportRowErrorOut,
    LeadIn,
    LeadOut,
    LeadPatch,
    LeadQuery,
    SmsConsentOut,
)
from closerhub.webhooks import payloads as webhook_payloads

CSV_MEDIA_TYPES = ("text/csv", "text/plain", "application/csv")


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        id=lead.id,
        business_id=lead.business_id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone_e164,
        timezone=lead.timezone,
        language=lead.language,
        source=lead.source,
        context={name: getattr(lead, name) for name in lead_cleaning.CONTEXT_FIELDS},  # type: ignore[arg-type]
        sms_consent=SmsConsentOut(given_at=lead.sms_consent_at, text=lead.sms_consent_text or "")
        if lead.sms_consent_at is not None and lead.sms_consent_phone == lead.phone_e164
        else None,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )


def lead_data(lead: Lead) -> dict[str, Any]:
    """A lead as a webhook event's ``data``: the API resource, JSON-ready."""
    return dump(lead_out(lead))


webhook_payloads.register("lead", lead_data)


@api_route(
    "POST",
    "/leads",
    summary="Add a lead",
    auth=("business",),
    body=LeadIn,
    response=LeadOut,
    status=201,
    idempotent=True,
    errors=(409,),
    tags=("leads",),
)
def create_lead(body: LeadIn) -> LeadOut:
    """The email is unique within your business: a known one is a 409 `lead_exists` (change it with PATCH).
    The phone must be in international format (`+` and the country code); it is stored as E.164."""
    with errors_for(LeadDetails, "api"):
        return lead_out(leads.create_lead(db.session, current_api_user(), body.details(), now=clock.utcnow()))


@api_route(
    "GET",
    "/leads",
    summary="Your business's leads (admins: every business's)",
    auth=("business", "admin"),
    query=LeadQuery,
    response=Page[LeadOut],
    tags=("leads",),
)
def list_leads(query: LeadQuery) -> dict[str, Any]:
    """Newest first; `?q=` matches part of the name or email."""
    stmt = leads.leads_query(current_api_user(), q=query.q)
    return paginate(
        db.session, stmt, Lead.id, query, lambda lead: lead_out(lead).model_dump(mode="json"), descending=True
    )


@api_route("GET", "/leads/<int:lead_id>", summary="One lead", response=LeadOut, tags=("leads",))
def get_lead(lead_id: int) -> LeadOut:
    """Members of the lead's business, admins, and closers with a call with the lead; a 404 for anyone else."""
    return lead_out(leads.find_lead(db.session, lead_id, current_api_user()))


@api_route(
    "PATCH",
    "/leads/<int:lead_id>",
    summary="Change a lead",
    auth=("business",),
    body=LeadPatch,
    response=LeadOut,
    errors=(409,),
    tags=("leads",),
)
def update_lead(lead_id: int, body: LeadPatch) -> LeadOut:
    """Only the fields sent change. Giving another lead's email is a 409 `lead_exists`."""
    user = current_api_user()
    leads.find_lead(db.session, lead_id, user)  # 404 before any input error
    with errors_for(LeadDetails, "api"):
        return lead_out(leads.update_lead(db.session, user, lead_id, body.details(), now=clock.utcnow()))


@api_route(
    "POST",
    "/leads/import",
    summary="Import leads from a CSV file",
    auth=("business",),
    raw_body=CSV_MEDIA_TYPES,
    response=ImportReportOut,
    idempotent=True,
    rate_limit="30 per hour",
    tags=("leads",),
)
def import_leads() -> ImportReportOut:
    """Send the file itself as the body (`Content-Type: text/csv`): UTF-8 (a BOM is fine), comma or
    semicolon separated, a header row naming the columns (name, email, timezone required), at most
    2 MB and 5,000 rows. Good rows are imported; bad ones are listed in `rejected` with their line.
    A file that cannot be read at all is a 422 with the reason on the field `file`."""
    user = current_api_user()
    if request.mimetype not in CSV_MEDIA_TYPES:
        raise ValidationError(
            _("Send the CSV file as the body with Content-Type: text/csv."),
            field_errors={"body": _("Content-Type must be text/csv.")},
        )
    business = db.session.get_one(Business, user.business_id)
    report = leads.import_csv(db.session, business, request.get_data(), actor=user, now=clock.utcnow())
    return ImportReportOut(
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        rejected=[
            ImportRowErrorOut(line=e.line, errors=[{"field": f, "message": m} for f, m in e.errors.items()])
            for e in report.errors
        ],
        ignored_columns=report.ignored_columns,
    )
