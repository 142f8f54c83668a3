"""The OpenAPI document tells the truth: a bounded schemathesis run against the real app.

Every documented operation is called with generated requests, as each role allowed to call
it (a closer, a business owner, an admin), on a realistic dataset seeded once. A request fails
the run when the app answers with a server error, with a status, content type or body the
document does not describe, or rejects (400/422) a request the document says is valid. A
second, smaller pass sends invalid requests (schemathesis' negative mode): each must get a
documented answer, never a server error.

The run is deterministic (``derandomize``: the same examples every time) and bounded
(``MAX_EXAMPLES`` per operation and role); it runs on the SQLite pass only, where it takes
about a minute. Rate limits are off for the run (they are tested on their own).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.extensions import db, limiter
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.service import create_endpoint
from tests.conftest import UserFactory, _truncate_all
from tests.factories_booking import make_appointment, make_lead, make_world
from tests.integration.booking_setup import set_hours

MAX_EXAMPLES = 10  # valid requests per operation and role
NEGATIVE_EXAMPLES = 4  # invalid requests per operation (as its first role)
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
]

# Operations whose valid requests depend on data or on other fields, which a JSON Schema cannot
# say (the rule is in the operation's or field's description): positive_data_acceptance is not
# asked of them; every other check is.
CONDITIONAL_BODIES = {
    # needs engagement_id, offer_id or (without a token) booking_key, and a free slot of the closer
    "POST /api/v1/appointments",
    # a CSV file whose header names the columns
    "POST /api/v1/leads/import",
    # a CSV file of collections whose header names the columns
    "POST /api/v1/instalments/import",
    # at least the closer's own minimum commission (their profile's, not a constant)
    "POST /api/v1/engagements",
    "POST /api/v1/engagements/{engagement_id}/change-rate",
    # a reason when the business's settings ask for one
    "POST /api/v1/appointments/{appointment_id}/cancel",
    "POST /api/v1/appointments/{appointment_id}/reschedule",
    # `to` at most 62 days after `from`
    "GET /api/v1/closers/{closer_id}/slots",
    "GET /api/v1/closers/me/busy",
    # a calendar address whose server name resolves (and, outside tests, to a public address)
    "POST /api/v1/closers/me/calendars",
    "POST /api/v1/webhooks",
    # `since` not in the future
    "POST /api/v1/webhooks/{endpoint_id}/replay",
    # weekly intervals that end after they start and do not overlap; time off likewise
    "PUT /api/v1/closers/me/availability",
    # a real BIC (`format: bic`): the generator does not apply the registered format inside the
    # `oneOf` of schemes and draws any text, which the run found once new string constants in the
    # code (Hypothesis draws from them) changed its examples; payout details have their own tests
    "PUT /api/v1/closers/me/payout-details",
    # meeting_url required when meeting_mode is own_url
    "PUT /api/v1/closers/me/profile",
    # a brand colour with at least 4.5:1 contrast against white and the page (WCAG AA), which a
    # pattern cannot state; the contrast rule has its own tests (test_brand_contrast.py)
    "PUT /api/v1/businesses/me",
}
# The schema run is database-independent and bounded in time: it belongs to the SQLite pass
# (deselected in the PostgreSQL pass by conftest, like the `postgres` tests are on SQLite).
pytestmark = pytest.mark.sqlite_only


@dataclass
class SeededApi:
    """The app with its dataset and one bearer header per role."""

    app: Flask
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]


def _bearer(user: User) -> dict[str, str]:
    _, secret = tokens.create_token(db.session, user, "schemathesis", clock.utcnow())
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def seeded_api(_app: Flask) -> Iterator[SeededApi]:
    """A business with an offer, leads, an active engagement and calls; its closer; an admin."""
    with _app.app_context():
        make_user = UserFactory(_app)
        world = make_world(make_user)
        set_hours(world.closer)
        soon = clock.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        for day, lead in enumerate([make_lead(world, name="Noah Lead", phone=None), make_lead(world)]):
            appointment = make_appointment(world, lead, start=soon + timedelta(days=day))
        admin = make_user("admin", email="fuzz-admin@example.com")
        endpoint, _ = create_endpoint(
            db.session,
            world.business.id,
            NewEndpoint(url="http://127.0.0.1:9/fuzz", events=("appointment.booked",)),
            now=clock.utcnow(),
        )
        db.session.commit()
        headers = {"closer": _bearer(world.closer), "business": _bearer(world.owner), "admin": _bearer(admin)}
        ids = {
            "closer_id": world.closer.id,
            "offer_id": world.offer.id,
            "engagement_id": world.engagement.id,
            "business_id": world.business.id,
            "lead_id": lead.id,
            "appointment_id": appointment.id,
            "endpoint_id": endpoint.id,
        }
        db.session.remove()
    limiter.enabled = False
    try:
        yield SeededApi(app=_app, headers=headers, ids=ids)
    finally:
        limiter.enabled = True
        _truncate_all(_app)
        limiter.reset()


@functools.cache
def _schemathesis() -> Any:
    """schemathesis, imported by the test that runs it (not at collection: every test process collects
    this module, and the import is ~1 s of CPU), with the document's own formats registered once."""
    import schemathesis
    import schemathesis.checks

    # ``format: phone`` in the document: a valid international number (there is no JSON Schema format
    # for it); the run draws from real ones.
    schemathesis.openapi.format("phone", st.sampled_from(["+33612345678", "+12125550123", "+447911123456"]))
    # Payout details' ``format: iban`` (valid check digits; these banks' BICs are known from the IBAN, as
    # the document says a BIC may then be left out), ``format: bic`` and ``format: aba-routing-number``
    # (its check digit): checksums a JSON Schema cannot state; the run draws from real ones.
    schemathesis.openapi.format(
        "iban", st.sampled_from(["DE89370400440532013000", "FR1420041010050500013M02606", "GB29NWBK60161331926819"])
    )
    schemathesis.openapi.format("bic", st.sampled_from(["COBADEFFXXX", "SBININBB", "BNPAFRPP"]))
    schemathesis.openapi.format("aba-routing-number", st.sampled_from(["011000015", "021000021"]))
    return schemathesis


def _operations(app: Flask) -> list[Any]:
    schema = _schemathesis().openapi.from_wsgi("/api/v1/openapi.json", app)
    # The app refuses NUL anywhere (the document says so in its description).
    schema.config.generation.update(allow_x00=False, allow_extra_parameters=False)
    return [result.ok() for result in schema.get_all_operations()]


def _without_cursor(case: Any) -> Any:
    # A cursor is valid only as the app issued it (signed ``next_cursor``; the document says
    # so): a generated string is rightly a 422. Forged cursors are tested in test_api_conventions.
    if case.query:
        case.query.pop("cursor", None)
    return case


def _as_json_integers(value: Any) -> Any:
    # The app reads JSON integers strictly (1500, not 1500.0: the document says so), which a
    # JSON Schema ``integer`` cannot state; the generator's integral floats become integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _as_json_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_integers(v) for v in value]
    return value


def _realistic(ids: dict[str, int]) -> Any:
    def adjust(case: Any) -> Any:
        case = _without_cursor(case)
        for name, value in (case.path_parameters or {}).items():
            # Half the generated ids name a seeded object, so the success answers are checked too.
            if name in ids and isinstance(value, int) and value % 2 == 0:
                case.path_parameters[name] = ids[name]
        if isinstance(case.body, dict):
            # Ids in a body name existing objects (an unknown one is a 422 on its field).
            case.body = {k: ids.get(k, v) if isinstance(v, int) else v for k, v in _as_json_integers(case.body).items()}
        return case

    return adjust


def _run(
    operation: Any,
    headers: dict[str, str],
    ids: dict[str, int],
    negative: bool = False,
    examples: int = MAX_EXAMPLES,
) -> None:
    schemathesis = _schemathesis()
    mode = schemathesis.GenerationMode.NEGATIVE if negative else schemathesis.GenerationMode.POSITIVE
    if not negative:
        names = [c for c in CHECKS if not (c == "positive_data_acceptance" and operation.label in CONDITIONAL_BODIES)]
    else:  # an invalid request must get a documented 4xx, never a 5xx (whether it is refused is its own test)
        names = [c for c in CHECKS if c != "positive_data_acceptance"]
    checks = [getattr(schemathesis.checks, name) for name in names]

    @given(case=operation.as_strategy(mode, headers=headers).map(_realistic(ids)))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=checks)

    run()


def test_every_operation_answers_valid_requests_as_the_openapi_document_says_for_every_role(
    seeded_api: SeededApi,
) -> None:
    failures: list[str] = []
    for operation in _operations(seeded_api.app):
        roles = operation.definition.raw.get("x-roles") or ["anonymous"]
        for role in roles:
            try:
                _run(operation, seeded_api.headers.get(role, {}), seeded_api.ids)
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, then fail once
                failures.append(f"{operation.label} as {role}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_invalid_requests_get_a_documented_answer_and_never_a_server_error(seeded_api: SeededApi) -> None:
    failures: list[str] = []
    for operation in _operations(seeded_api.app):
        raw = operation.definition.raw
        if not raw.get("parameters") and "requestBody" not in raw:
            continue  # nothing in the request can be invalid
        role = (raw.get("x-roles") or ["anonymous"])[0]
        headers = seeded_api.headers.get(role, {})
        try:
            _run(operation, headers, seeded_api.ids, negative=True, examples=NEGATIVE_EXAMPLES)
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label} as {role}: {exc}")
    assert not failures, "\n\n".join(failures)
