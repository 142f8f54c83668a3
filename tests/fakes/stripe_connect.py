"""A small stateful fake of Stripe's Connect endpoints, served over real HTTP on 127.0.0.1.

localstripe covers customers, payment methods and payment intents but answers 404 for
Connect; this fake covers the rest of what ``closerhub.payments.stripe.gateway`` uses:

    POST /v1/accounts                    GET/POST /v1/accounts/{id}
    POST /v1/account_links               POST/GET /v1/transfers, GET /v1/transfers/{id}
    POST /v1/transfers/{id}/reversals

Like Stripe it: answers with objects shaped as in Stripe's published fixtures
(``tests/fakes/stripe/fixtures3.json``, copied from ``../shared/stripe``); refuses parameters
that the SDK's typed params
(``stripe.params``) do not define; honours ``Idempotency-Key`` (same key + same params →
the same response, marked ``Idempotent-Replayed``; same key + other params → 400
``idempotency_error``); refuses transfers to unknown accounts or accounts without an
active ``transfers`` capability.

Test controls (Python, same process): ``complete_onboarding``, ``set_account`` (flip
``payouts_enabled`` and friends), ``fail_next`` (answer an error, e.g. 500/429/402),
``drop_next`` (process, then drop the connection before answering: the SDK retries with
the same key), ``delay_next`` (answer late: a client timeout), and ``signed_event`` (an
event body and a ``Stripe-Signature`` header made exactly as Stripe makes them).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe.params as stripe_params

from closerhub.payments.stripe.gateway import sign_webhook_payload
from tests.fakes import POLL

# A copy of ../shared/stripe/fixtures3.json (Stripe's published example objects, MIT: see LICENSE beside
# it), vendored so a fresh clone anywhere runs these tests instead of skipping them.
FIXTURES = Path(__file__).resolve().parent / "stripe" / "fixtures3.json"

# Request options the SDK's params TypedDicts also list; they never travel as parameters.
_OPTION_KEYS = {
    "api_key",
    "content_type",
    "headers",
    "idempotency_key",
    "max_network_retries",
    "stripe_account",
    "stripe_context",
    "stripe_version",
}


def load_fixtures() -> dict[str, Any]:
    """Stripe's published example objects, by resource name."""
    return json.loads(FIXTURES.read_text())["resources"]


def _allowed(params_type: type) -> set[str]:
    # TypedDict annotations include inherited keys; the request options are not parameters.
    return set(params_type.__annotations__) - _OPTION_KEYS


ALLOWED = {
    "account.create": _allowed(stripe_params.AccountCreateParams),
    "account.update": _allowed(stripe_params.AccountUpdateParams),
    "account.retrieve": _allowed(stripe_params.AccountRetrieveParams),
    "account_link.create": _allowed(stripe_params.AccountLinkCreateParams),
    "transfer.create": _allowed(stripe_params.TransferCreateParams),
    "transfer.list": _allowed(stripe_params.TransferListParams),
    "transfer.retrieve": _allowed(stripe_params.TransferRetrieveParams),
    "transfer_reversal.create": _allowed(stripe_params.TransferReversalCreateParams),
}


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][c]=v``, ``a[0]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeHTTPError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", **extra: Any):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, **extra}}


@dataclass
class Fault:
    path_prefix: str
    method: str
    status: int = 0
    body: dict[str, Any] | None = None
    drop_after_processing: bool = False
    delay_seconds: float = 0.0
    count: int = 1


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int
    replayed: bool


@dataclass
class ConnectState:
    """Everything the fake knows; guarded by one lock (the server is threaded)."""

    fixtures: dict[str, Any]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, str, list[tuple[str, str]], int, dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    balance: dict[str, int] | None = None  # None: the platform balance never runs out
    lock: threading.RLock = field(default_factory=threading.RLock)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class FakeStripeConnect:
    """The fake server: ``start()`` on a free 127.0.0.1 port, ``stop()`` when done."""

    def __init__(self, fixtures: dict[str, Any] | None = None) -> None:
        self.state = ConnectState(fixtures=fixtures or load_fixtures())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> FakeStripeConnect:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs=POLL, name="fake-stripe-connect", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls ------------------------------------------------------------

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The closer finished Stripe's onboarding: everything enabled, nothing due."""
        return self.set_account(
            account_id,
            details_submitted=True,
            charges_enabled=True,
            payouts_enabled=True,
            currently_due=[],
            disabled_reason=None,
            transfers_capability="active",
        )

    def set_account(
        self,
        account_id: str,
        *,
        payouts_enabled: bool | None = None,
        charges_enabled: bool | None = None,
        details_submitted: bool | None = None,
        currently_due: list[str] | None = None,
        disabled_reason: str | type[Ellipsis] | None = ...,  # type: ignore[valid-type]
        transfers_capability: str | None = None,
    ) -> dict[str, Any]:
        """Change an account as Stripe would after onboarding or a review; returns a copy."""
        with self.state.lock:
            acct = self.state.accounts[account_id]
            if payouts_enabled is not None:
                acct["payouts_enabled"] = payouts_enabled
            if charges_enabled is not None:
                acct["charges_enabled"] = charges_enabled
            if details_submitted is not None:
                acct["details_submitted"] = details_submitted
            if currently_due is not None:
                acct["requirements"]["currently_due"] = list(currently_due)
                acct["requirements"]["eventually_due"] = list(currently_due)
            if disabled_reason is not ...:
                acct["requirements"]["disabled_reason"] = disabled_reason
            if transfers_capability is not None:
                acct["capabilities"]["transfers"] = transfers_capability
            return copy.deepcopy(acct)

    def fail_next(
        self,
        path_prefix: str,
        *,
        status: int = 500,
        method: str = "POST",
        type_: str = "api_error",
        message: str = "An unknown error occurred",
        code: str | None = None,
        count: int = 1,
        **extra: Any,
    ) -> None:
        """The next ``count`` requests under ``path_prefix`` answer this error without any effect."""
        body = {"error": {"type": type_, "message": message, **({"code": code} if code else {}), **extra}}
        with self.state.lock:
            self.state.faults.append(Fault(path_prefix, method, status=status, body=body, count=count))

    def drop_next(self, path_prefix: str, *, method: str = "POST", count: int = 1) -> None:
        """The next request is processed (and its idempotent result kept) but the connection
        drops before the answer: the client cannot know whether it happened."""
        with self.state.lock:
            self.state.faults.append(Fault(path_prefix, method, drop_after_processing=True, count=count))

    def delay_next(self, path_prefix: str, seconds: float, *, method: str = "POST", count: int = 1) -> None:
        """The next request is processed, then answered only after ``seconds``."""
        with self.state.lock:
            self.state.faults.append(Fault(path_prefix, method, delay_seconds=seconds, count=count))

    def signed_event(
        self,
        event_type: str,
        obj: dict[str, Any],
        secret: str,
        *,
        created: int | None = None,
        event_id: str | None = None,
    ) -> tuple[str, str]:
        """An event body wrapping ``obj`` (shape of the ``event`` fixture) and its ``Stripe-Signature``."""
        event = copy.deepcopy(self.state.fixtures["event"])
        event.update(
            id=event_id or _new_id("evt"),
            type=event_type,
            created=int(created if created is not None else time.time()),
            data={"object": copy.deepcopy(obj)},
            api_version="2025-01-27.acacia",
        )
        body = json.dumps(event)
        return body, sign_webhook_payload(body, secret)

    def account(self, account_id: str) -> dict[str, Any]:
        with self.state.lock:
            return copy.deepcopy(self.state.accounts[account_id])

    def transfers_to(self, account_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [copy.deepcopy(t) for t in self.state.transfers.values() if t["destination"] == account_id]

    def created(self, method: str, path: str) -> list[RecordedRequest]:
        """Requests that had an effect (not refused, not replayed)."""
        with self.state.lock:
            return [
                r
                for r in self.state.requests
                if r.method == method and r.path == path and r.status == 200 and not r.replayed
            ]

    # -- resources ----------------------------------------------------------------

    def _check_params(self, op: str, params: dict[str, Any]) -> None:
        for key in params:
            if key not in ALLOWED[op]:
                raise StripeHTTPError(400, f"Received unknown parameter: {key}", param=key)

    def _account_or_404(self, account_id: str) -> dict[str, Any]:
        acct = self.state.accounts.get(account_id)
        if acct is None:
            raise StripeHTTPError(404, f"No such account: '{account_id}'", code="resource_missing", param="account")
        return acct

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("account.create", params)
        if params.get("type") not in ("express", "standard", "custom", None):
            raise StripeHTTPError(400, "Invalid type", param="type")
        acct = copy.deepcopy(self.state.fixtures["account"])
        requested = {
            name: "inactive"
            for name, opts in (params.get("capabilities") or {}).items()
            if _bool(opts.get("requested"))
        }
        acct.update(
            id=_new_id("acct"),
            type=params.get("type", "express"),
            email=params.get("email"),
            country=params.get("country", "US"),
            created=int(time.time()),
            metadata=dict(params.get("metadata") or {}),
            capabilities=requested,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
        )
        acct["external_accounts"]["url"] = f"/v1/accounts/{acct['id']}/external_accounts"
        self.state.accounts[acct["id"]] = acct
        return acct

    def update_account(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("account.update", params)
        acct = self._account_or_404(account_id)
        if "metadata" in params:
            acct["metadata"].update(params["metadata"] or {})
        if "email" in params:
            acct["email"] = params["email"]
        return acct

    def create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("account_link.create", params)
        for required in ("account", "type"):
            if not params.get(required):
                raise StripeHTTPError(400, f"Missing required param: {required}.", param=required)
        account_id = params["account"]
        self._account_or_404(account_id)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise StripeHTTPError(400, "Invalid type", param="type")
        for url_param in ("refresh_url", "return_url"):
            value = params.get(url_param)
            if value and not str(value).startswith(("http://", "https://")):
                raise StripeHTTPError(400, "Not a valid URL", param=url_param)
        link = copy.deepcopy(self.state.fixtures["account_link"])
        now = int(time.time())
        link.update(created=now, expires_at=now + 300, url=f"{self.url}/setup/s/{account_id}/{secrets.token_hex(6)}")
        return link

    def create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("transfer.create", params)
        try:
            amount = int(params.get("amount", ""))
        except ValueError as exc:
            raise StripeHTTPError(400, "Invalid integer: amount", param="amount") from exc
        if amount <= 0:
            raise StripeHTTPError(400, "This value must be greater than or equal to 1.", param="amount")
        currency = str(params.get("currency", "")).lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeHTTPError(400, "Invalid currency", param="currency")
        destination = params.get("destination")
        acct = self.state.accounts.get(destination or "")
        if acct is None:
            raise StripeHTTPError(
                400, f"No such destination: '{destination}'", code="resource_missing", param="destination"
            )
        if acct["capabilities"].get("transfers") != "active":
            raise StripeHTTPError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        if self.state.balance is not None:
            available = self.state.balance.get(currency, 0)
            if available < amount:
                raise StripeHTTPError(
                    400,
                    "You have insufficient available funds in your Stripe account.",
                    code="balance_insufficient",
                )
            self.state.balance[currency] = available - amount
        transfer = copy.deepcopy(self.state.fixtures["transfer"])
        tid = _new_id("tr")
        transfer.update(
            id=tid,
            amount=amount,
            currency=currency,
            destination=destination,
            created=int(time.time()),
            metadata=dict(params.get("metadata") or {}),
            transfer_group=params.get("transfer_group"),
            description=params.get("description"),
            balance_transaction=_new_id("txn"),
            destination_payment=_new_id("py"),
            amount_reversed=0,
            reversed=False,
        )
        transfer["reversals"] = {
            "data": [],
            "has_more": False,
            "object": "list",
            "url": f"/v1/transfers/{tid}/reversals",
        }
        self.state.transfers[tid] = transfer
        return transfer

    def _transfer_or_404(self, transfer_id: str) -> dict[str, Any]:
        transfer = self.state.transfers.get(transfer_id)
        if transfer is None:
            raise StripeHTTPError(404, f"No such transfer: '{transfer_id}'", code="resource_missing", param="id")
        return transfer

    def list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("transfer.list", params)
        data = [
            t
            for t in self.state.transfers.values()
            if (not params.get("destination") or t["destination"] == params["destination"])
            and (not params.get("transfer_group") or t["transfer_group"] == params["transfer_group"])
        ]
        data.sort(key=lambda t: t["created"], reverse=True)
        limit = int(params.get("limit", 10))
        return {"object": "list", "data": data[:limit], "has_more": len(data) > limit, "url": "/v1/transfers"}

    def create_reversal(self, transfer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        self._check_params("transfer_reversal.create", params)
        transfer = self._transfer_or_404(transfer_id)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params["amount"]) if params.get("amount") not in (None, "") else remaining
        if amount <= 0 or amount > remaining:
            raise StripeHTTPError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on transfer ({remaining})",
                param="amount",
            )
        reversal = copy.deepcopy(self.state.fixtures["transfer_reversal"])
        reversal.update(
            id=_new_id("trr"),
            amount=amount,
            currency=transfer["currency"],
            transfer=transfer_id,
            created=int(time.time()),
            metadata=dict(params.get("metadata") or {}),
            balance_transaction=_new_id("txn"),
        )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        if self.state.balance is not None:
            self.state.balance[transfer["currency"]] = self.state.balance.get(transfer["currency"], 0) + amount
        return reversal

    # -- routing --------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        m = re.fullmatch
        if method == "POST" and path == "/v1/accounts":
            return self.create_account(params)
        if match := m(r"/v1/accounts/([^/]+)", path):
            if method == "GET":
                self._check_params("account.retrieve", params)
                return self._account_or_404(match[1])
            return self.update_account(match[1], params)
        if method == "POST" and path == "/v1/account_links":
            return self.create_account_link(params)
        if path == "/v1/transfers":
            return self.create_transfer(params) if method == "POST" else self.list_transfers(params)
        if method == "GET" and (match := m(r"/v1/transfers/([^/]+)", path)):
            self._check_params("transfer.retrieve", params)
            return self._transfer_or_404(match[1])
        if method == "POST" and (match := m(r"/v1/transfers/([^/]+)/reversals", path)):
            return self.create_reversal(match[1], params)
        raise StripeHTTPError(404, f"Unrecognized request URL ({method}: {path}).")

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.method == method and path.startswith(fault.path_prefix) and fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.state.faults.remove(fault)
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeStripeConnect
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", _new_id("req"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _serve(self, method: str) -> None:
        fake = self.owner
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        pairs = parse_qsl(body if method == "POST" else parts.query, keep_blank_values=True)
        params = decode_form(pairs)
        key = self.headers.get("Idempotency-Key")
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
            self._send(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
            return
        fault = fake.take_fault(method, path)
        if fault is not None and fault.body is not None:
            with fake.state.lock:
                fake.state.requests.append(RecordedRequest(method, path, params, key, fault.status, False))
            headers = {"Stripe-Should-Retry": "true"} if fault.status >= 500 or fault.status == 429 else {}
            self._send(fault.status, fault.body, headers)
            return
        status, response, replayed = self._process(method, path, params, sorted(pairs), key)
        if fault is not None and fault.delay_seconds:
            time.sleep(fault.delay_seconds)
        if fault is not None and fault.drop_after_processing:
            self.close_connection = True
            self.connection.shutdown(2)  # processed, but the client never hears back
            return
        self._send(status, response, {"Idempotent-Replayed": "true"} if replayed else None)

    def _process(
        self, method: str, path: str, params: dict[str, Any], pairs: list[tuple[str, str]], key: str | None
    ) -> tuple[int, dict[str, Any], bool]:
        fake = self.owner
        with fake.state.lock:
            if method == "POST" and key:
                seen = fake.state.idempotency.get(key)
                if seen is not None:
                    seen_method, seen_path, seen_pairs, seen_status, seen_body = seen
                    if (seen_method, seen_path, seen_pairs) != (method, path, pairs):
                        status, response, replayed = (
                            400,
                            {
                                "error": {
                                    "type": "idempotency_error",
                                    "message": "Keys for idempotent requests can only be used with the same "
                                    "parameters they were first used with. Try using a key other than "
                                    f"'{key}' if you meant to execute a different request.",
                                }
                            },
                            False,
                        )
                    else:
                        status, response, replayed = seen_status, copy.deepcopy(seen_body), True
                    fake.state.requests.append(RecordedRequest(method, path, params, key, status, replayed))
                    return status, response, replayed
            try:
                status, response = 200, copy.deepcopy(fake.route(method, path, params))
            except StripeHTTPError as exc:
                status, response = exc.status, exc.body
            if method == "POST" and key and status < 500:  # Stripe saves results, 4xx included (not 5xx)
                fake.state.idempotency[key] = (method, path, pairs, status, copy.deepcopy(response))
            fake.state.requests.append(RecordedRequest(method, path, params, key, status, False))
            return status, response, False


def running_fake() -> Iterator[FakeStripeConnect]:
    """Start a fake, yield it, stop it (the body of the pytest fixture)."""
    fake = FakeStripeConnect().start()
    try:
        yield fake
    finally:
        fake.stop()
