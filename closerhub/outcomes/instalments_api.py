"""API v1 instalment routes: an outcome's plan, and the business recording collections, misses and refunds.

Same service functions as the outcome page. Wrong role 403, another tenant's objects 404,
a state change the status does not allow 409, bad input 422.
"""

from __future__ import annotations

from flask import request

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.leads.api import CSV_MEDIA_TYPES
from closerhub.leads.schemas import ImportRowErrorOut
from closerhub.outcomes import collection_import, instalments, service
from closerhub.outcomes.instalment_schemas import (
    CollectIn,
    CollectionImportOut,
    InstalmentList,
    InstalmentOut,
    MissDisputeIn,
    RefundIn,
)
from closerhub.outcomes.models_instalments import Instalment


def instalment_out(instalment: Instalment) -> InstalmentOut:
    return InstalmentOut.model_validate(instalments.instalment_data(instalment))


@api_route(
    "GET",
    "/outcomes/<int:outcome_id>/instalments",
    summary="A won outcome's payment plan and what was collected",
    response=InstalmentList,
    tags=("outcomes",),
)
def list_instalments(outcome_id: int) -> InstalmentList:
    """The closer, the business's team and admins; anyone else gets a 404. Oldest due first."""
    outcome = service.find_outcome(db.session, outcome_id, current_api_user())
    rows = instalments.instalments_of(db.session, outcome.id)
    return InstalmentList.model_validate({"data": [instalments.instalment_data(i) for i in rows]})


@api_route(
    "POST",
    "/instalments/<int:instalment_id>/collect",
    summary="Mark an instalment collected (business)",
    auth=("business",),
    body=CollectIn,
    response=InstalmentOut,
    errors=(409,),
    tags=("outcomes",),
)
def collect_instalment(instalment_id: int, body: CollectIn) -> InstalmentOut:
    """A due or missed instalment of a confirmed outcome (409 otherwise). On `cash_collected` the
    commission accrues (running total) and you are charged commission + platform fee for it."""
    now = clock.utcnow()
    return instalment_out(
        instalments.collect(db.session, current_api_user(), instalment_id, body.collected_on, now=now)
    )


@api_route(
    "POST",
    "/instalments/<int:instalment_id>/miss",
    summary="Mark an instalment missed (business)",
    auth=("business",),
    response=InstalmentOut,
    errors=(409,),
    tags=("outcomes",),
)
def miss_instalment(instalment_id: int) -> InstalmentOut:
    """A due instalment of a confirmed outcome; the closer may dispute the marking."""
    return instalment_out(instalments.miss(db.session, current_api_user(), instalment_id, now=clock.utcnow()))


@api_route(
    "POST",
    "/instalments/<int:instalment_id>/refund",
    summary="Record a refund of a collected instalment (business)",
    auth=("business",),
    body=RefundIn,
    response=InstalmentOut,
    errors=(409,),
    tags=("outcomes",),
)
def refund_instalment(instalment_id: int, body: RefundIn) -> InstalmentOut:
    """Part or all of what is left; on `cash_collected` the commission accrues negatively (clawback)
    and the commission and fee on it are credited back on your charges."""
    amount = Money(body.amount.amount, body.amount.currency.upper())
    return instalment_out(instalments.refund(db.session, current_api_user(), instalment_id, amount, now=clock.utcnow()))


@api_route(
    "POST",
    "/instalments/<int:instalment_id>/dispute-miss",
    summary="Dispute a missed marking (closer)",
    auth=("closer",),
    body=MissDisputeIn,
    response=InstalmentOut,
    errors=(409,),
    tags=("outcomes",),
)
def dispute_missed_instalment(instalment_id: int, body: MissDisputeIn) -> InstalmentOut:
    """Only a missed instalment not already disputed; the admins' dispute desk lists it."""
    return instalment_out(
        instalments.dispute_miss(db.session, current_api_user(), instalment_id, body.reason, now=clock.utcnow())
    )


@api_route(
    "POST",
    "/instalments/import",
    summary="Mark instalments collected from a CSV file (business)",
    auth=("business",),
    raw_body=CSV_MEDIA_TYPES,
    response=CollectionImportOut,
    idempotent=True,
    rate_limit="30 per hour",
    tags=("outcomes",),
)
def import_collections() -> CollectionImportOut:
    """Send the file itself as the body (`Content-Type: text/csv`): UTF-8, comma or semicolon separated,
    columns `outcome_id` or `email` (the lead's), `amount` (as written in English: 1,250.00) and
    `collected_on` (YYYY-MM-DD). Each row marks collected the earliest due or missed instalment of that
    amount of that deal; rows that match nothing are listed in `rejected` with their line. A file that
    cannot be read at all is a 422 with the reason on the field `file`."""
    if request.mimetype not in CSV_MEDIA_TYPES:
        raise ValidationError(
            _("Send the CSV file as the body with Content-Type: text/csv."),
            field_errors={"body": _("Content-Type must be text/csv.")},
        )
    report = collection_import.import_collections(
        db.session, current_api_user(), request.get_data(), now=clock.utcnow()
    )
    return CollectionImportOut(
        rows=report.rows,
        collected=report.collected,
        rejected=[
            ImportRowErrorOut(line=e.line, errors=[{"field": f, "message": m} for f, m in e.errors.items()])
            for e in report.errors
        ],
    )
