"""CloserHub: a marketplace where businesses book remote closers and pay them on commission."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request

import config as config_module
from closerhub import cli, events, extensions, i18n, jobs, security, web_errors
from closerhub import models as models  # registers every model on the metadata
from closerhub.accounts.passwords import prepare_dummy_hash, use_fast_hashing
from closerhub.accounts.service import AccountOpened
from closerhub.accounts.views import bp as accounts_bp
from closerhub.admin import audit_views, no_show_views, settings_views, sms_outbox_views, vetting_views
from closerhub.admin.audit_display import audit_value
from closerhub.admin.outbox_views import bp as notifications_bp
from closerhub.admin.views import bp as admin_bp
from closerhub.analytics.views import bp as analytics_bp
from closerhub.api import bp as api_bp
from closerhub.api import views as api_views
from closerhub.api.auth import token_owner_for_locale
from closerhub.api.schema_docs import register_vocabularies
from closerhub.booking import api as booking_api
from closerhub.booking import booked_event
from closerhub.booking import lookup as booking_lookup
from closerhub.booking.attendance import api as attendance_api
from closerhub.booking.attendance import views as attendance_views
from closerhub.booking.busy import BOOKED_CALLS
from closerhub.booking.calendar_files import api as calendar_api
from closerhub.booking.calendar_files.views import bp as calendar_bp
from closerhub.booking.changes import handover_api, handover_views
from closerhub.booking.pages import book_views, confirm_views, manage_views, prospect, zone_views
from closerhub.booking.pages.views import bp as booking_public_bp
from closerhub.booking.reminders.sms_views import bp as sms_bp
from closerhub.booking.views import add_call_panel
from closerhub.booking.views import bp as appointments_bp
from closerhub.businesses import api as businesses_api
from closerhub.businesses import service as businesses_service
from closerhub.businesses.offer_views import bp as offers_bp
from closerhub.businesses.views import bp as businesses_bp
from closerhub.calendars import api as calendars_api
from closerhub.calendars.busy import CALENDAR_BUSY
from closerhub.calendars.views import bp as calendars_bp
from closerhub.closers import api as closers_api
from closerhub.closers import availability_views
from closerhub.closers import rules as closer_rules
from closerhub.closers import schemas as closer_schemas
from closerhub.closers import service as closers_service
from closerhub.closers.views import bp as closers_bp
from closerhub.db_setup import register_database
from closerhub.engagements import api as engagements_api
from closerhub.engagements import slots_api
from closerhub.engagements.views import bp as engagements_bp
from closerhub.leads import api as leads_api
from closerhub.leads import service as leads_service
from closerhub.leads.views import bp as leads_bp
from closerhub.matching import api as matching_api
from closerhub.matching.views import bp as matching_bp
from closerhub.navigation import nav_for
from closerhub.notifications.events import register_event_handler
from closerhub.outcomes import api as outcomes_api
from closerhub.outcomes import events as outcome_events
from closerhub.outcomes import instalment_views, instalments_api, panel_views, review_views
from closerhub.outcomes import reviews as outcome_reviews
from closerhub.outcomes.track_record import closer_stats
from closerhub.outcomes.views import bp as outcomes_bp
from closerhub.pages.views import bp as pages_bp
from closerhub.payments import earnings_views
from closerhub.payments import outcome_events as payments_on_outcomes
from closerhub.payments.charges import api as charges_api
from closerhub.payments.charges.views import bp as charges_bp
from closerhub.payments.charges.views import desk_bp as money_desk_bp
from closerhub.payments.ledger import api as ledger_api
from closerhub.payments.payouts import api as payout_api
from closerhub.payments.payouts import details_api as payout_details_api
from closerhub.payments.payouts.views import bp as admin_payouts_bp
from closerhub.payments.stripe.views import bp as stripe_webhooks_bp
from closerhub.payments.views import billing_bp, payouts_bp
from closerhub.vetting import service as vetting_service
from closerhub.vetting.views import bp as vetting_bp
from closerhub.webhooks import api as webhooks_api
from closerhub.webhooks import catalog as webhook_catalog
from closerhub.webhooks.views import bp as integrations_bp

#: Every module whose pages add themselves to another module's blueprint when imported (a
#: feature's views split over several modules, one blueprint): named here, nowhere else.
PAGE_ROUTE_MODULES = (
    audit_views,
    no_show_views,
    settings_views,
    vetting_views,
    book_views,
    confirm_views,
    handover_views,
    manage_views,
    prospect,
    zone_views,
    attendance_views,  # on two blueprints: the prospect's pages and the calls
    availability_views,
    instalment_views,
    review_views,
    earnings_views,  # on the outcomes blueprint: the ledger sits above outcomes
    sms_outbox_views,
)

#: Every module whose ``api_route`` views add themselves to the API blueprint (and to the
#: OpenAPI registry) when imported: the API package names none of them; the factory does.
API_ROUTE_MODULES = (
    api_views,
    businesses_api,
    booking_api,
    attendance_api,
    calendar_api,
    handover_api,
    leads_api,
    calendars_api,
    closers_api,
    engagements_api,
    slots_api,
    matching_api,
    outcomes_api,
    instalments_api,
    charges_api,
    ledger_api,
    payout_api,
    payout_details_api,
    webhooks_api,
)


def create_app(config: dict[str, Any] | str | None = None) -> Flask:
    """Build the application.

    ``config`` is a profile name (``"testing"``), a mapping of overrides applied on top of
    the profile chosen by ``CLOSERHUB_ENV``, or ``None`` for the environment's profile.
    """
    app = Flask(__name__, template_folder="../templates", static_folder="static")
    if isinstance(config, str):
        app.config.update(config_module.load(config))
    else:
        overrides = dict(config or {})
        profile = overrides.pop("PROFILE", None)
        app.config.update(config_module.load(profile))
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise config_module.ConfigError("SECRET_KEY is not set")
    if app.config.get("TESTING"):
        use_fast_hashing()
    prepare_dummy_hash()  # the unknown user's hash, with the parameters in use (accounts.passwords)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each autogenerate plugin at INFO on import; that is noise in `make run`.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(config_module.BASE_DIR / "migrations"))
    register_database(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.login_manager.init_app(app)
    i18n.init_app(app, api_token_owner=token_owner_for_locale)
    events.init_app(app)
    _subscribe_event_handlers(app)
    # A closer's busy time (the slot seam, closers.rules): booked calls, then their calendars.
    closer_rules.add_busy_source(app, BOOKED_CALLS)
    closer_rules.add_busy_source(app, CALENDAR_BUSY)
    closers_service.set_track_record(app, closer_stats)  # a closer's card: read from calls and outcomes
    closers_service.set_reviews(app, outcome_reviews.closer_reviews, outcome_reviews.business_names)
    leads_service.set_lead_calls(app, booking_lookup.lead_appointments)  # a lead's page lists its calls
    add_call_panel(app, panel_views.TEMPLATE, panel_views.outcome_panel)  # a call's page shows its outcome
    security.init_app(app)
    web_errors.init_app(app)
    app.jinja_env.globals["nav_items"] = _nav_items
    app.jinja_env.filters["audit_value"] = audit_value

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(businesses_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(engagements_bp)
    app.register_blueprint(closers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(vetting_bp)
    app.register_blueprint(leads_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(booking_public_bp)
    app.register_blueprint(appointments_bp)
    app.register_blueprint(outcomes_bp)
    app.register_blueprint(analytics_bp)
    _set_up_api(app)
    extensions.csrf.exempt(api_bp)  # the API uses bearer tokens, never the session cookie
    app.register_blueprint(payouts_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(charges_bp)
    app.register_blueprint(money_desk_bp)
    app.register_blueprint(admin_payouts_bp)
    app.register_blueprint(stripe_webhooks_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(sms_bp)
    extensions.csrf.exempt(stripe_webhooks_bp)  # Stripe signs its requests; it has no session or CSRF token
    extensions.csrf.exempt(sms_bp)  # Twilio signs its requests (X-Twilio-Signature)

    cli.init_app(app)
    jobs.init_app(app)
    return app


def _set_up_api(app: Flask) -> None:
    """The API blueprint with every feature's routes, its document's lists, its docs page's catalog."""
    register_vocabularies(closer_schemas.VOCABULARIES)
    register_vocabularies(payout_details_api.VOCABULARIES)
    app.extensions[api_views.DOCS_CONTEXT] = {
        "webhook_catalog": webhook_catalog.CATALOG,
        "webhook_verify_snippet": webhook_catalog.VERIFY_SNIPPET,
    }
    app.register_blueprint(api_bp)


def _subscribe_event_handlers(app: Flask) -> None:
    """Each higher package's handlers of the events lower packages publish (``closerhub.events``),
    in the order they run."""
    # Sign-up: the business and its owner seat; a closer's empty profile, then its review row.
    events.subscribe(app, AccountOpened, businesses_service.on_account_opened)
    events.subscribe(app, AccountOpened, closers_service.on_account_opened)
    events.subscribe(app, AccountOpened, vetting_service.on_account_opened)
    # An outcome's money: payments keeps the ledger and bills the business.
    events.subscribe(app, outcome_events.CommissionEarned, payments_on_outcomes.on_commission_earned)
    events.subscribe(app, outcome_events.CommissionRestated, payments_on_outcomes.on_commission_restated)
    events.subscribe(app, outcome_events.CommissionReversed, payments_on_outcomes.on_commission_reversed)
    events.subscribe(app, outcome_events.CommissionOwed, payments_on_outcomes.on_commission_owed)
    events.subscribe(app, outcome_events.InstalmentCollected, payments_on_outcomes.on_instalment_collected)
    events.subscribe(app, outcome_events.InstalmentRefunded, payments_on_outcomes.on_instalment_refunded)
    # After the commit, through the outbox the worker reads: a booking's emails and search summary.
    register_event_handler(booked_event.KIND, booked_event.expand_booked)


def _nav_items(user: Any) -> list[Any]:
    """The role's menu for the page being drawn (``templates/_nav.html``)."""
    return nav_for(user, request.endpoint, request.path)
