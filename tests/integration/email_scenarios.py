"""How each email template gets sent, through the real service or notify function, to French readers.

``SCENARIOS`` maps every email template to a function that makes the app send it: the business's
owner, the closer, the admin and the prospect all read French (``people_in_french``). Used by
``test_every_email_in_french.py``, which renders each template in French, compares it with the
English rendering of the same message, and checks that no template on disk lacks a scenario.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts import verification
from closerhub.accounts.commands import EmailChange
from closerhub.accounts.models import User
from closerhub.booking import notify
from closerhub.booking.changes import handover_notify as notify_handover
from closerhub.booking.models import Appointment
from closerhub.booking.reminders import messages as call_messages
from closerhub.businesses import team
from closerhub.businesses.commands import Invitation, JoinTeam
from closerhub.businesses.models import Business
from closerhub.calendars import sync
from closerhub.calendars.models import CalendarConnection, ConnectionKind, ConnectionStatus
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.outcomes import instalments, service, settlement
from closerhub.outcomes.instalment_reminders import ask_due_instalments
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.emails import tell_cannot_receive, tell_payout_failed
from closerhub.payments.payouts.events import on_bank_payout_failed
from closerhub.payments.payouts.models import Payout, PayoutRun, PayoutStatus, RunMode
from closerhub.payments.stripe.models import ConnectAccount
from closerhub.payments.stripe.results import WebhookEvent
from closerhub.vetting import service as vetting
from closerhub.vetting.commands import VettingDecision
from closerhub.vetting.models import CHECKLIST
from closerhub.webhooks.alerts import email_owner_disabled
from closerhub.webhooks.commands import NewEndpoint
from closerhub.webhooks.service import create_endpoint
from tests.conftest import PASSWORD, UserFactory
from tests.integration.charges_support import CONFIRMED_AT, WON
from tests.integration.instalment_support import cash_deal, plan_of, won_with_plan
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, Deal, make_call, make_deal

BEFORE_CALL = CALL_AT - timedelta(days=1)


@dataclass
class People:
    """A French-speaking business owner, closer and admin; ``deal`` ties the owner and the closer."""

    make_user: UserFactory
    owner: User
    closer: User
    admin: User
    deal: Deal

    def call(self, starts_at: datetime = CALL_AT) -> Appointment:
        """A call of the deal with a prospect who reads French (Paris)."""
        appointment = make_call(self.deal, starts_at)
        appointment.lead.language = "fr"
        db.session.commit()
        return appointment


def people_in_french(make_user: UserFactory) -> People:
    owner = make_user("business", language="fr", timezone="Europe/Paris", name="Odile Owner")
    closer = make_user("closer", language="fr", timezone="Europe/Paris", name="Claire Closer")
    admin = make_user("admin", name="Alice Admin")
    admin.language = "fr"
    return People(make_user, owner, closer, admin, make_deal(make_user, closer=closer, owner=owner))


Scenario = Callable[[People], None]
SCENARIOS: dict[str, Scenario] = {}


def sends(*templates: str) -> Callable[[Scenario], Scenario]:
    def register(scenario: Scenario) -> Scenario:
        for template in templates:
            SCENARIOS[template] = scenario
        return scenario

    return register


# --- accounts and vetting ------------------------------------------------------------------------


@sends("welcome", "verify_email")
def _signup(p: People) -> None:
    user = p.make_user("closer", language="fr", verified=False)  # signs up: the welcome
    verification.queue_verification_email(db.session, user, now=clock.utcnow())  # a resend
    db.session.commit()


@sends("password_reset", "password_changed", "email_changed")
def _password(p: People) -> None:
    accounts.request_password_reset(
        db.session, p.closer.email, lambda token: f"https://x.test/reset/{token}", now=clock.utcnow()
    )
    accounts.change_password(db.session, p.closer, PASSWORD, "another-long-password", now=clock.utcnow())
    accounts.change_email(
        db.session,
        p.closer,
        EmailChange(email="claire.new@example.com", password="another-long-password"),
        now=clock.utcnow(),
    )
    db.session.commit()


@sends("vetting_approved", "vetting_changes_requested", "vetting_rejected")
def _vetting(p: People) -> None:
    for decision in ("request_changes", "reject", "approve"):
        closer = p.make_user("closer", language="fr", approved=False)
        ticked = frozenset(CHECKLIST)
        vetting.decide(
            db.session,
            p.admin,
            closer.id,
            VettingDecision(decision, reason="Profil incomplet.", ticked=ticked),
            now=clock.utcnow(),
        )
        db.session.commit()


# --- engagements and the team --------------------------------------------------------------------


def _proposal(p: People, closer: User | None = None) -> Any:
    closer = closer or p.make_user("closer", language="fr", timezone="Europe/Paris")
    return engagements.propose(
        db.session, p.owner, engagements.Proposal(closer.id, p.deal.offer.id, 1250), now=clock.utcnow()
    ), closer


@sends("engagement_proposed", "engagement_accepted", "engagement_ended")
def _engagement_life(p: People) -> None:
    proposal, closer = _proposal(p)
    engagements.accept(db.session, closer, proposal.id, now=clock.utcnow())
    engagements.end(db.session, p.owner, proposal.id, "Fin de la saison.", now=clock.utcnow())


@sends("engagement_declined")
def _declined(p: People) -> None:
    proposal, closer = _proposal(p)
    engagements.decline(db.session, closer, proposal.id, "Pas disponible.", now=clock.utcnow())


@sends("engagement_withdrawn")
def _withdrawn(p: People) -> None:
    proposal, _closer = _proposal(p)
    engagements.withdraw(db.session, p.owner, proposal.id, now=clock.utcnow())


@sends("team_invite", "team_invite_accepted")
def _team(p: People) -> None:
    tokens: list[str] = []
    business = db.session.get(Business, p.owner.business_id)

    def join_url(token: str) -> str:
        tokens.append(token)
        return f"https://x.test/join/{token}"

    now = clock.utcnow()
    invitation = Invitation(email="marc@example.com", language="fr")
    team.invite(db.session, p.owner, business, invitation, join_url_for=join_url, now=now)
    db.session.commit()
    joining = JoinTeam(name="Marc Membre", password=PASSWORD, timezone="Europe/Paris", language="fr")
    team.accept_invitation(db.session, tokens[0], joining, now=now)
    db.session.commit()


# --- calls -----------------------------------------------------------------------------------------


@sends("appointment_booked")
def _booked(p: People) -> None:
    notify.appointment_booked(db.session, p.call(), now=clock.utcnow())
    db.session.commit()


@sends("appointment_rescheduled")
def _rescheduled(p: People) -> None:
    notify.appointment_rescheduled(
        db.session, p.call(), CALL_AT - timedelta(hours=2), message_to_prospect="À mardi.", now=clock.utcnow()
    )
    db.session.commit()


@sends("appointment_cancelled")
def _cancelled(p: People) -> None:
    call = p.call()
    call.cancel_reason = "Client malade."
    notify.appointment_cancelled(db.session, call, message_to_prospect="Désolés.", rebook=True, now=clock.utcnow())
    db.session.commit()


@sends("appointment_reminder", "appointment_unconfirmed")
def _reminders(p: People) -> None:
    call = p.call()
    with frozen_at(BEFORE_CALL):
        call_messages.reminder(db.session, call, "24h", now=clock.utcnow())
        call_messages.reminder(db.session, call, "1h", now=clock.utcnow())
        call_messages.unconfirmed(db.session, call, now=clock.utcnow())
    db.session.commit()


@sends("appointment_outcome_request", "appointment_outcome_overdue")
def _outcome_asks(p: People) -> None:
    call = p.call()
    with frozen_at(AFTER_CALL + timedelta(days=2)):
        call_messages.outcome_requested(db.session, call, now=clock.utcnow())
        call_messages.outcome_overdue(db.session, call, now=clock.utcnow())
    db.session.commit()


@sends("appointment_rebook", "appointment_closer_missed")
def _missed(p: People) -> None:
    call = p.call()
    with frozen_at(AFTER_CALL):
        call_messages.rebook_after_no_show(db.session, call, now=clock.utcnow())
        call_messages.rebook_after_no_show(db.session, call, follow_up=True, now=clock.utcnow())
        call_messages.closer_missed_call(db.session, call, others=True, now=clock.utcnow())
    db.session.commit()


@sends("appointment_reassigned", "appointment_released")
def _handover(p: People) -> None:
    call = p.call()
    previous = p.make_user("closer", language="fr", timezone="Europe/Paris", name="Paul Précédent")
    for why in ("handed_back", "suspended"):
        notify_handover.reassigned(db.session, call, previous, why=why, reason="Agenda plein.", now=clock.utcnow())
    db.session.commit()


# --- outcomes, instalments, charges ------------------------------------------------------------------


def _recorded(p: People) -> Any:
    call = p.call()
    with frozen_at(AFTER_CALL):
        return service.record_outcome(db.session, p.closer, call.id, WON, now=clock.utcnow())


@sends("outcome_recorded", "outcome_confirmed", "charge_notice")
def _confirmed(p: People) -> None:
    outcome = _recorded(p)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, p.owner, outcome.id, now=clock.utcnow())


@sends("outcome_corrected")
def _corrected(p: People) -> None:
    outcome = _recorded(p)
    data = service.OutcomeData(result="won", deal_value=Money(500000, "EUR"))
    with frozen_at(AFTER_CALL + timedelta(hours=1)):
        service.correct_outcome(db.session, p.closer, outcome.id, data, now=clock.utcnow())


@sends("outcome_disputed", "outcome_resolved")
def _disputed(p: People) -> None:
    outcome = _recorded(p)
    with frozen_at(AFTER_CALL + timedelta(hours=2)):
        settlement.dispute(db.session, p.owner, outcome.id, "Le client n’a pas signé.", now=clock.utcnow())
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        adjusted = Money(400000, "EUR")
        settlement.resolve_dispute(
            db.session, p.admin, outcome.id, note="Contrat vérifié.", deal_value=adjusted, now=clock.utcnow()
        )


@sends("instalment_notice", "instalment_missed")
def _instalments(p: People) -> None:
    deal = cash_deal(p.make_user, owner=p.owner, closer=p.closer)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    first_due = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    ask_due_instalments(db.session, first_due)
    with frozen_at(first_due + timedelta(days=1)):
        instalments.miss(db.session, p.owner, plan_of(outcome.id)[0].id, now=clock.utcnow())


# --- payouts -----------------------------------------------------------------------------------------


@sends("payout_cannot_receive")
def _cannot_receive(p: People) -> None:
    tell_cannot_receive(db.session, p.closer, now=clock.utcnow())
    tell_cannot_receive(db.session, p.closer, manual=True, now=clock.utcnow())
    db.session.commit()


@sends("payout_failed")
def _payout_failed(p: People) -> None:
    now = clock.utcnow()
    run = PayoutRun(started_at=now, mode=RunMode.STRIPE, triggered_by="worker")
    db.session.add(run)
    db.session.flush()
    payout = Payout(
        run_id=run.id,
        closer_id=p.closer.id,
        currency="EUR",
        amount=123456,
        status=PayoutStatus.FAILED,
        error="Compte fermé.",
        created_at=now,
        failed_at=now,
    )
    db.session.add(payout)
    db.session.flush()
    tell_payout_failed(db.session, payout, now=now)
    db.session.commit()


@sends("bank_payout_failed")
def _bank_payout_failed(p: People) -> None:
    now = clock.utcnow()
    account = f"acct_{secrets.token_hex(6)}"
    db.session.add(ConnectAccount(closer_id=p.closer.id, stripe_account_id=account, created_at=now, updated_at=now))
    db.session.flush()
    payout = {"id": "po_1", "amount": 123456, "currency": "eur", "failure_code": "account_closed"}
    payload = {"account": account, "data": {"object": payout}}
    event = WebhookEvent(
        id="evt_1", type="payout.failed", created=now, livemode=False, data_object=payout, payload=payload
    )
    on_bank_payout_failed(db.session, event, now)
    db.session.commit()


@sends("payout_details_changed")
def _payout_details(p: People) -> None:
    form = {"scheme": "iban", "holder": "Claire Dupont", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}
    payout_details.save(db.session, p.closer, BankDetails(**form), clock.utcnow())
    db.session.commit()


# --- integrations ------------------------------------------------------------------------------------


@sends("calendar_unreadable")
def _calendar(p: People) -> None:
    now = clock.utcnow()
    connection = CalendarConnection(
        closer_id=p.closer.id,
        kind=ConnectionKind.ICS,
        url="http://127.0.0.1:9/agenda.ics",  # nothing answers there
        status=ConnectionStatus.ERROR,
        fails_closed_at=now - timedelta(minutes=1),
        sync_state={},
        created_at=now - timedelta(days=3),
    )
    db.session.add(connection)
    db.session.commit()
    sync.sync_connection(db.session, connection.id, now)
    db.session.commit()


@sends("webhook_endpoint_disabled")
def _webhook(p: People) -> None:
    now = clock.utcnow()
    business_id = p.owner.business_id
    endpoint, _secret = create_endpoint(
        db.session, business_id, NewEndpoint(url="https://hooks.example.com/x", events=("lead.created",)), now=now
    )
    endpoint.failing_since = now - timedelta(days=3)
    email_owner_disabled(db.session, endpoint, now)
    db.session.commit()
