"""Helpers of the charges tests: Stripe mode on localstripe, a saved card, a confirmed won deal.

localstripe does not honour ``Idempotency-Key``; Stripe does (same key → the same response,
nothing done twice). ``IdempotentProxy`` puts that Stripe behaviour in front of localstripe,
over real HTTP, and records every request's idempotency key, so the tests can show which key
each attempt sent and that a replayed key created nothing new. It can also drop the
connection after forwarding a request (Stripe did the work, the client never heard back).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.charges import billing
from closerhub.payments.charges.models import Charge
from closerhub.payments.stripe.gateway import Gateway, get_gateway
from tests.fakes import POLL
from tests.integration.outcome_support import AFTER_CALL, Deal, make_call

CONFIRMED_AT = AFTER_CALL + timedelta(days=1)
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches fine, every charge is declined
WON = OutcomeData(result="won", deal_value=Money(480000, "EUR"))  # commission 720.00 + fee 72.00 = 792.00 EUR


@dataclass
class Seen:
    method: str
    path: str
    key: str | None
    replayed: bool


@dataclass
class ProxyState:
    upstream: str
    cache: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    drop_next: int = 0  # forward the next N POSTs, then close the connection without answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, path_prefix: str = "/v1/payment_intents") -> list[str | None]:
        """Idempotency keys sent to ``path_prefix`` (POSTs), in order, replays included."""
        return [s.key for s in self.seen if s.method == "POST" and s.path.startswith(path_prefix)]

    def created(self, path_prefix: str = "/v1/payment_intents") -> int:
        """POSTs to ``path_prefix`` that reached localstripe (a replayed key never does)."""
        return sum(1 for s in self.seen if s.method == "POST" and s.path.startswith(path_prefix) and not s.replayed)


class IdempotentProxy:
    """Stripe's idempotency in front of localstripe, on a free 127.0.0.1 port."""

    def __init__(self, upstream: str):
        self.state = ProxyState(upstream)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = self.headers.get("Idempotency-Key")
                path = self.path.split("?", 1)[0]
                if method == "POST" and key:
                    with state.lock:
                        cached = state.cache.get(key)
                    if cached is not None:
                        state.seen.append(Seen(method, path, key, True))
                        self._answer(cached[0], cached[1], replayed=True)
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                r = requests.request(method, state.upstream + self.path, data=body, headers=headers, timeout=10)
                state.seen.append(Seen(method, path, key, False))
                # Stripe stores the result of a key unless it was a 5xx or a 429 (those may be retried).
                if method == "POST" and key and r.status_code < 500 and r.status_code != 429:
                    with state.lock:
                        state.cache[key] = (r.status_code, r.content)
                if method == "POST" and state.drop_next > 0:
                    state.drop_next -= 1
                    self.close_connection = True
                    self.connection.close()  # the work is done; the answer is lost
                    return
                self._answer(r.status_code, r.content)

            def _answer(self, status: int, content: bytes, replayed: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def do_DELETE(self) -> None:
                self._forward("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=POLL, daemon=True)

    def start(self) -> IdempotentProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def add_card(owner: User, number: str = GOOD_CARD, at: datetime = CONFIRMED_AT - timedelta(days=5)) -> str:
    """The owner saves a card, as the billing page does after Stripe.js (the card goes to Stripe, we keep its id)."""
    gw: Gateway = get_gateway()
    pm = gw.client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 8, "exp_year": 2031, "cvc": "123"}}
    )
    billing.save_payment_method(db.session, gw, owner, pm.id, at)
    return pm.id


def won_outcome(deal: Deal, starts_at: datetime | None = None) -> Outcome:
    """A won deal of 4,800.00 EUR recorded by the closer after the call."""
    call = make_call(deal, starts_at) if starts_at else make_call(deal)
    with frozen_at(call.starts_at + timedelta(minutes=50)):
        return service.record_outcome(db.session, deal.closer, call.id, WON, now=clock.utcnow())


def confirm(deal: Deal, outcome: Outcome, at: datetime = CONFIRMED_AT) -> Charge:
    """The business confirms; returns the outcome's charge, fresh from the database."""
    with frozen_at(at):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    return charge_of(outcome)


def charge_of(outcome: Outcome) -> Charge:
    db.session.expire_all()
    charge = db.session.query(Charge).filter_by(outcome_id=outcome.id).one()
    return charge
