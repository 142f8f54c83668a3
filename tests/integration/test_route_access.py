"""Every URL rule of the app, walked as anonymous, business, closer and admin, against a table of how
each endpoint is meant to answer. A new endpoint without a row here fails the suite (by name).

GETs only: a POST-only endpoint must answer a GET with 405 (and never a 500). Path parameters are
filled with real objects of ANOTHER tenant where possible, so tenant-scoped pages must say 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts import tokens
from closerhub.accounts.models import User
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory, _logged_in
from tests.integration.admin_helpers import active_engagement, book_call, make_offer


@dataclass(frozen=True)
class Access:
    """How an endpoint answers.

    kind: ``public`` (anyone), ``secret`` (public, but the URL carries a secret: a bogus one is
    refused), ``login`` (any logged-in user), ``role`` (only ``roles``), ``api`` (bearer token,
    ``roles`` when limited), ``api_public`` (no token needed).
    tenant: the path names an object of one tenant: others get 404 (admins see everything).
    """

    kind: str
    roles: tuple[str, ...] = ()
    tenant: bool = False


PUBLIC = Access("public")
SECRET = Access("secret")
LOGIN = Access("login")
LOGIN_TENANT = Access("login", tenant=True)
ADMIN = Access("role", ("admin",))
BUSINESS = Access("role", ("business",))
BUSINESS_TENANT = Access("role", ("business",), tenant=True)
CLOSER = Access("role", ("closer",))
API = Access("api")
API_TENANT = Access("api", tenant=True)
API_PUBLIC = Access("api_public")


def api(*roles: str, tenant: bool = False) -> Access:
    return Access("api", roles, tenant)


# Endpoint → access. Keep it sorted by blueprint; a new endpoint needs a row (see the last test).
ENDPOINTS: dict[str, Access] = {
    "static": PUBLIC,
    # pages
    "pages.index": PUBLIC,
    "pages.healthz": PUBLIC,
    "pages.set_language": PUBLIC,
    "pages.dashboard": LOGIN,
    # accounts
    "accounts.signup": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": SECRET,
    "accounts.verify_email": SECRET,
    "accounts.resend_verification": LOGIN,
    "accounts.settings": LOGIN,
    "accounts.update_preferences": LOGIN,
    "accounts.change_password": LOGIN,
    "accounts.change_email": LOGIN,
    "accounts.create_token": LOGIN,
    "accounts.revoke_token": LOGIN,
    # admin (every /admin page: see test_every_admin_url_is_classified_admin_only)
    "admin.index": ADMIN,
    "admin.user_detail": ADMIN,
    "admin.suspend": ADMIN,
    "admin.reactivate": ADMIN,
    "admin.resend_verification": ADMIN,
    "admin.audit": ADMIN,
    "admin.vetting_queue": ADMIN,
    "admin.vetting_review": ADMIN,
    "admin.no_show_queue": ADMIN,
    "admin.no_show_review": ADMIN,  # POST only
    "admin.settings": ADMIN,
    "notifications.outbox": ADMIN,
    "notifications.sms_outbox": ADMIN,
    "notifications.message": ADMIN,
    "notifications.message_html": ADMIN,
    "notifications.retry": ADMIN,
    "outcomes.disputes": ADMIN,
    "outcomes.resolve": ADMIN,
    # businesses, offers
    "businesses.show": LOGIN_TENANT,  # a closer reads any business page as missing too
    "businesses.invite": LOGIN_TENANT,
    "businesses.revoke_invitation": LOGIN_TENANT,
    "businesses.remove_member": LOGIN_TENANT,
    "businesses.join": SECRET,
    "offers.index": BUSINESS,
    "offers.new": BUSINESS,
    "offers.edit": BUSINESS_TENANT,
    "offers.rotate_key": BUSINESS_TENANT,
    "integrations.index": BUSINESS,  # the owner only: a member gets 403
    "integrations.create": BUSINESS,
    "integrations.rotate": BUSINESS_TENANT,
    "integrations.enable": BUSINESS_TENANT,
    "integrations.disable": BUSINESS_TENANT,
    "integrations.delete": BUSINESS_TENANT,
    "integrations.deliveries": BUSINESS_TENANT,
    "integrations.retry": BUSINESS_TENANT,
    "integrations.send_test": BUSINESS_TENANT,
    "integrations.replay_since": BUSINESS_TENANT,
    # closers, search, vetting
    "matching.search": Access("role", ("business", "admin")),
    "closers.show": LOGIN,
    "closers.edit_profile": CLOSER,
    "closers.availability_page": CLOSER,
    "closers.save_weekly": CLOSER,
    "closers.add_override": CLOSER,
    "closers.delete_override": CLOSER,
    "closers.add_time_off": CLOSER,
    "closers.delete_time_off": CLOSER,
    "vetting.resubmit": CLOSER,
    # engagements
    "engagements.index": LOGIN,
    "engagements.new": BUSINESS,
    "engagements.show": LOGIN_TENANT,
    "engagements.accept": LOGIN_TENANT,
    "engagements.decline": LOGIN_TENANT,
    "engagements.withdraw": LOGIN_TENANT,
    "engagements.end": LOGIN_TENANT,
    "engagements.change_rate": LOGIN_TENANT,
    # outcomes, money (other issues; classified by what they are)
    "outcomes.record": LOGIN_TENANT,
    "outcomes.confirm": LOGIN_TENANT,
    "outcomes.dispute": LOGIN_TENANT,
    "outcomes.review": LOGIN_TENANT,
    "outcomes.my_reviews": CLOSER,
    "outcomes.reply_review": LOGIN_TENANT,
    "outcomes.earnings": LOGIN,
    "outcomes.instalments_page": LOGIN_TENANT,
    "outcomes.collect": BUSINESS,
    "outcomes.miss": BUSINESS,
    "outcomes.refund": BUSINESS,
    "outcomes.dispute_miss": CLOSER,
    "outcomes.resolve_miss": ADMIN,
    "outcomes.import_collections": BUSINESS,
    "outcomes.pending": LOGIN,
    "analytics.index": LOGIN,  # each role its own scope, taken from the user
    "analytics.table_csv": LOGIN,  # same; an unknown or other role's table is a 404
    "billing.show_billing": LOGIN,
    "billing.save_payment_method": LOGIN,
    "charges.list_charges": BUSINESS,
    "charges.receipt": LOGIN_TENANT,  # the business's members and admins; anyone else a 404
    "stripe_webhooks.receive": PUBLIC,  # signature-verified, POST only
    "sms.inbound": PUBLIC,  # Twilio-signed, POST only
    "sms.status": PUBLIC,  # Twilio-signed, POST only
    # API: public entry points
    "api.docs": API_PUBLIC,
    "api.openapi_document": API_PUBLIC,
    "api.signup": API_PUBLIC,
    "api.issue_token": API_PUBLIC,
    "api.create_appointment": API_PUBLIC,  # a business token, or public with a booking-page key
    # API: token required
    "api.me": API,
    "api.list_tokens": API,
    "api.create_token": API,
    "api.revoke_token": API,
    "api.get_my_business": api("business"),
    "api.update_my_business": api("business"),
    "api.get_business": api("business", "admin", tenant=True),
    "api.list_invitations": api("business"),
    "api.create_invitation": api("business"),
    "api.revoke_invitation": api("business"),
    "api.list_members": api("business"),
    "api.remove_member": api("business"),
    "api.list_offers": api("business", "admin"),
    "api.create_offer": api("business"),
    "api.get_offer": api("business", "admin", tenant=True),
    "api.update_offer": api("business"),
    "api.rotate_offer_booking_key": api("business"),
    "api.search_closers": api("business", "admin"),
    "api.get_closer": API,
    "api.closer_slots": API,
    "api.get_my_closer_profile": api("closer"),
    "api.update_my_closer_profile": api("closer"),
    "api.get_my_availability": api("closer"),
    "api.update_my_availability": api("closer"),
    "api.list_calendars": api("closer"),
    "api.add_calendar": api("closer"),
    "api.sync_calendar": api("closer"),
    "api.delete_calendar": api("closer"),
    "api.my_busy": api("closer"),
    "api.list_webhooks": api("business"),
    "api.create_webhook": api("business"),
    "api.delete_webhook": api("business"),
    "api.rotate_webhook_secret": api("business"),
    "api.list_deliveries": api("business"),
    "api.retry_webhook_delivery": api("business"),
    "api.replay_webhook_events": api("business"),
    "api.send_webhook_test": api("business"),
    "api.list_engagements": API,
    "api.propose_engagement": api("business"),
    "api.get_engagement": API_TENANT,
    "api.accept_engagement": api("closer"),
    "api.decline_engagement": api("closer"),
    "api.withdraw_engagement": api("business"),
    "api.end_engagement": API,
    "api.change_engagement_rate": api("business"),
    "api.list_appointments": API,
    "api.get_appointment": API_TENANT,
    "api.get_appointment_ics": API_TENANT,
    "api.reschedule_appointment": API,
    "api.cancel_appointment": API,
    "api.hand_back_appointment": API,
    "api.report_closer_no_show": api("business"),
    "appointments.hand_back": CLOSER,
    "appointments.business_closer_no_show": BUSINESS,  # POST only
    "api.list_leads": API,
    "api.create_lead": api("business"),
    "api.get_lead": API_TENANT,
    "api.update_lead": api("business"),
    "api.import_leads": api("business"),
    "api.get_outcome": API_TENANT,
    "api.confirm_outcome": api("business"),
    "api.dispute_outcome": api("business"),
    "api.record_outcome": api("closer"),
    "api.resolve_outcome": api("admin"),
    "api.list_instalments": API_TENANT,
    "api.collect_instalment": api("business"),
    "api.miss_instalment": api("business"),
    "api.refund_instalment": api("business"),
    "api.dispute_missed_instalment": api("closer"),
    "api.import_collections": api("business"),
    "api.my_balance": api("closer"),
    "api.list_ledger": api("closer", "admin"),
    "api.list_charges": api("business", "admin"),
    "api.get_charge": api("business", "admin", tenant=True),
    "api.list_payouts": api("closer", "admin"),
    "api.run_payouts_now": api("admin"),
    "api.get_my_payout_details": api("closer"),
    "api.record_manual_return": api("admin"),
    "api.put_my_payout_details": api("closer"),
}

# Whole blueprints classified by their prefix (booking is being built in parallel; its endpoints
# come and go). An explicit row above wins over these.
BLUEPRINTS: dict[str, Access] = {
    "booking_public": PUBLIC,  # the prospect's booking and manage pages: secrets in the URL
    "appointments": LOGIN,
    "leads": LOGIN,
    "payouts_setup": LOGIN,
    "money_desk": ADMIN,
    "admin_payouts": ADMIN,
}
SPECIAL: dict[str, Access] = {
    "calendar.feed": SECRET,  # the closer's private ICS feed (the key is the secret)
    "calendar.settings": LOGIN,
    "calendars.index": CLOSER,
    "calendars.add": CLOSER,
    "calendars.sync_now": CLOSER,
    "calendars.delete": CLOSER,
    "calendars.choose": CLOSER,
    "calendars.keep_offering": CLOSER,
    "calendars.admin_index": ADMIN,
    "appointments.show": LOGIN_TENANT,
    "leads.show": LOGIN_TENANT,
    "leads.edit": LOGIN_TENANT,
}


def access_of(endpoint: str) -> Access | None:
    """The classification of an endpoint: its row, a special case, or its blueprint's."""
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    if endpoint in SPECIAL:
        return SPECIAL[endpoint]
    return BLUEPRINTS.get(endpoint.partition(".")[0])


# --- the world: two tenants, A (who we log in as) and B (whose ids we use) ----------------------


@dataclass
class World:
    values: dict[str, Any]
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]


@pytest.fixture
def world(app: Flask, make_user: UserFactory) -> World:
    business_a = make_user("business", email="a@tenant-a.example", business_name="Tenant A")
    closer_a = make_user("closer", email="closer-a@example.com")
    admin = make_user("admin", email="root@example.com")
    business_b = make_user("business", email="b@tenant-b.example", business_name="Tenant B")
    closer_b = make_user("closer", email="closer-b@example.com")
    active_engagement(business_a, closer_a, make_offer(business_a, "A offer"))
    offer_b = make_offer(business_b, "B offer")
    engagement_b = active_engagement(business_b, closer_b, offer_b)
    appointment_b = book_call(engagement_b, clock.utcnow() + timedelta(days=3))
    message_id = db.session.query(OutboxMessage.id).first()[0]
    values = {
        "business_id": business_b.business_id,
        "closer_id": closer_b.id,
        "user_id": closer_b.id,
        "engagement_id": engagement_b.id,
        "offer_id": offer_b.id,
        "appointment_id": appointment_b.id,
        "lead_id": appointment_b.lead_id,
        "message_id": message_id,
        "outcome_id": 999_999,
        "charge_id": 999_999,
        "instalment_id": 999_999,
        "review_id": 999_999,
        "invitation_id": 999_999,
        "member_id": 999_999,
        "token_id": 999_999,
        "time_off_id": 999_999,
        "day": "2026-12-24",
        "token": "not-a-real-token",
        "key": "not-a-real-key",
        "lang": "en",
        "filename": "css/app.css",
        "run_id": 999_999,
        "report_id": 999_999,
        "connection_id": 999_999,
        "endpoint_id": 999_999,
        "delivery_id": 999_999,
    }
    users: dict[str, User] = {"business": business_a, "closer": closer_a, "admin": admin}
    clients = {"anonymous": app.test_client(), **{role: _logged_in(app, u) for role, u in users.items()}}
    secrets = {role: tokens.create_token(db.session, u, "walk", clock.utcnow())[1] for role, u in users.items()}
    return World(values=values, clients=clients, tokens=secrets)


def _url(app: Flask, rule: Any, values: dict[str, Any]) -> str:
    args = {name: values.get(name, "x") for name in rule.arguments}
    return (
        app.url_map.bind("localhost").build(rule.endpoint, args)
        if len(_rules_of(app, rule.endpoint)) == 1
        else (rule.build(args, append_unknown=False)[1])
    )


def _rules_of(app: Flask, endpoint: str) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]


def _problem(who: str, method_url: str, status: int, expected: str) -> str:
    return f"{who:9} {method_url} → {status}, expected {expected}"


def _check(access: Access, who: str, status: int, location: str, rule: Any) -> str | None:
    """None when ``status`` is what ``access`` promises to ``who``; else what was expected."""
    if status >= 500:
        return "no server error"
    if "GET" not in rule.methods:
        return None if status == 405 else "405 (POST-only URL)"
    tenant_arg = access.tenant and any(a.endswith("_id") for a in rule.arguments)
    if access.kind == "public":
        return None
    if access.kind == "secret":
        return None if status in (400, 403, 404, 410) else "a refusal of the bogus secret (400/404/410)"
    if access.kind == "api_public":
        return None
    if access.kind == "api":
        if who == "anonymous":
            return None if status == 401 else "401 without a token"
        if access.roles and who not in access.roles:
            return None if status in (403, 404) else "403 for this role"
        if tenant_arg and who != "admin":
            return None if status in (403, 404) else "404 (or 403) for another tenant's object"
        return None
    # HTML pages behind a login
    if who == "anonymous":
        return None if status == 302 and "/login" in location else "a redirect to /login"
    if access.kind == "role" and who not in access.roles:
        if access.roles == ("admin",):
            return None if status == 403 else "403 (admin only)"
        return None if status in (403, 404) else "403 for this role"
    if tenant_arg and who != "admin":
        return None if status in (403, 404) else "404 (or 403) for another tenant's object"
    return None


@pytest.mark.parametrize("who", ["anonymous", "business", "closer", "admin"])
def test_every_get_answers_as_classified(app: Flask, world: World, who: str) -> None:
    client = world.clients[who]
    problems: list[str] = []
    with_get = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        access = access_of(rule.endpoint)
        if access is None:
            continue  # reported by test_every_endpoint_is_classified
        if "GET" not in rule.methods and rule.rule in with_get:
            continue  # the GET of this URL belongs to another endpoint, checked as that one
        url = _url(app, rule, world.values)
        headers = {}
        if access.kind in ("api", "api_public") and who != "anonymous":
            headers["Authorization"] = f"Bearer {world.tokens[who]}"
        response = client.get(url, headers=headers)
        expected = _check(access, who, response.status_code, response.headers.get("Location", ""), rule)
        if expected:
            problems.append(_problem(who, f"GET {url} [{rule.endpoint}]", response.status_code, expected))
    assert not problems, "Endpoints answering against their classification:\n" + "\n".join(problems)


def test_every_endpoint_is_classified(app: Flask) -> None:
    unclassified = sorted(
        {
            f"{r.endpoint}  ({', '.join(sorted(r.methods - {'HEAD', 'OPTIONS'}))} {r.rule})"
            for r in app.url_map.iter_rules()
            if access_of(r.endpoint) is None
        }
    )
    assert not unclassified, (
        "New endpoints without an access classification: add each to ENDPOINTS (or its blueprint to "
        "BLUEPRINTS) in tests/integration/test_route_access.py:\n  " + "\n  ".join(unclassified)
    )


def test_every_admin_url_is_classified_admin_only(app: Flask) -> None:
    loose = sorted(
        r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/admin") and access_of(r.endpoint) != ADMIN
    )
    assert not loose, f"/admin URLs must be admin-only; these are classified otherwise: {loose}"


def test_the_table_names_no_endpoint_that_no_longer_exists(app: Flask) -> None:
    existing = {r.endpoint for r in app.url_map.iter_rules()}
    stale = sorted(set(ENDPOINTS) - existing)
    # Other issues' endpoints may be renamed while they are built: a stale row is a warning, not a failure.
    if stale:
        pytest.skip(f"rows for endpoints that do not exist (yet or any more): {stale}")
