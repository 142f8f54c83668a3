"""Deliver webhook events: claim due deliveries atomically, POST them signed, log every attempt.

At-least-once: a delivery is claimed by moving its ``next_attempt_at`` past a lease
(``UPDATE … WHERE status = 'pending' AND next_attempt_at <= now``, committed before the
request), so two workers never send the same attempt at once and a worker killed mid-request
leaves a delivery that becomes due again when the lease ends, sent with the same
``webhook-id`` (the event's ``msg_id``). Failures back off exponentially over about a day
(``BACKOFF``), then the delivery is ``failed``; an endpoint failing for ``DISABLE_AFTER`` is
disabled. Requests of different endpoints run in parallel threads (the HTTP part only; the
database work stays on the caller's thread), so one slow receiver does not hold up the others,
and a batch takes at most ``PER_ENDPOINT`` deliveries of each endpoint (fairness).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from standardwebhooks.webhooks import Webhook

from closerhub import outbound
from closerhub.core.retry import RetrySchedule
from closerhub.webhooks.alerts import email_owner_disabled
from closerhub.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from closerhub.webhooks.service import signing_secrets

# Waits after attempt 1, 2, … (Standard Webhooks' suggested schedule): about 28 hours in all.
RETRIES = RetrySchedule(
    (
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    )
)
BACKOFF = RETRIES.waits
# Longer than a batch of one endpoint can take (PER_ENDPOINT requests × the bounded timeout),
# so a claimed delivery never becomes due again while its request may still be in flight.
LEASE = timedelta(minutes=10)
DISABLE_AFTER = timedelta(days=5)
BATCH = 200
PER_ENDPOINT = 50
THREADS = 8
KEEP_BYTES = 2048
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Job:
    """What a thread needs to send one delivery (no ORM objects cross threads)."""

    delivery_id: int
    url: str
    msg_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """One attempt's outcome."""

    delivery_id: int
    status_code: int | None
    duration_ms: int
    body: str
    error: str | None

    @property
    def ok(self) -> bool:
        """2xx is success; anything else (3xx included: redirects are not followed) is retried."""
        return self.status_code is not None and 200 <= self.status_code < 300


def headers_for(msg_id: str, body: bytes, secrets: tuple[str, ...], at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers; during a secret rotation both secrets sign (space-separated)."""
    signature = " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "user-agent": "CloserHub-Webhooks/1",
    }


def _send(job: Job, at: datetime, allow_private: bool, timeout: float) -> Result:
    started = time.monotonic()
    try:
        answer = outbound.post(
            job.url,
            job.body,
            headers=headers_for(job.msg_id, job.body, job.secrets, at),
            keep_bytes=KEEP_BYTES,
            timeout=timeout,
            allow_private_addresses=allow_private,
        )
        status, text, error = answer.status, answer.body.decode("utf-8", "replace"), None
    except outbound.OutboundError as exc:
        status, text, error = None, "", str(exc)[:300]
    return Result(job.delivery_id, status, int((time.monotonic() - started) * 1000), text, error)


def _due_ids(session: Session, now: datetime) -> list[int]:
    """Due deliveries of enabled endpoints, oldest first, at most ``PER_ENDPOINT`` per endpoint, interleaved."""
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),  # a disabled (or deleted) endpoint's deliveries wait
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH * 4)
    ).all()
    per_endpoint: dict[int, list[int]] = defaultdict(list)
    for delivery_id, endpoint_id in rows:
        if len(per_endpoint[endpoint_id]) < PER_ENDPOINT:
            per_endpoint[endpoint_id].append(delivery_id)
    queues = list(per_endpoint.values())
    chosen: list[int] = []
    for i in range(PER_ENDPOINT):
        chosen.extend(q[i] for q in queues if i < len(q))
    return chosen[:BATCH]


def lease() -> timedelta:
    """How long a claim holds (``WEBHOOK_LEASE_SECONDS``; ``LEASE`` unless configured, e.g. shorter in tests)."""
    seconds = current_app.config.get("WEBHOOK_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


def claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """Take one due delivery for this attempt (True), or learn another worker has it (False); commits."""
    taken = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease(), attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return taken.rowcount == 1  # type: ignore[attr-defined]


def _jobs(session: Session, ids: list[int], *, now: datetime) -> list[Job]:
    jobs = []
    keys: dict[int, tuple[str, ...]] = {}
    rows = session.scalars(
        select(WebhookDelivery)
        .options(joinedload(WebhookDelivery.event), joinedload(WebhookDelivery.endpoint))
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.event_id, WebhookDelivery.id)  # each endpoint gets a batch in event order
    ).all()
    for delivery in rows:
        endpoint = delivery.endpoint
        body = json.dumps(delivery.event.payload, separators=(",", ":"), ensure_ascii=False).encode()
        if endpoint.id not in keys:  # unseal once per endpoint and batch, not per delivery
            keys[endpoint.id] = tuple(signing_secrets(endpoint, now=now))
        jobs.append(Job(delivery.id, endpoint.url, delivery.event.msg_id, body, keys[endpoint.id]))
    return jobs


def record_result(session: Session, result: Result, now: datetime) -> None:
    """Log the attempt and move the delivery on: done, retried later, or failed for good (no commit)."""
    delivery = session.get(WebhookDelivery, result.delivery_id)
    assert delivery is not None
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            response_body=result.body,
            error=result.error,
        )
    )
    delivery.last_status_code = result.status_code
    endpoint = delivery.endpoint
    if result.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        return
    delivery.next_attempt_at = RETRIES.next_attempt_at(delivery.attempts, now)
    if delivery.next_attempt_at is None:
        delivery.status = DeliveryStatus.FAILED
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.enabled = False
        endpoint.disabled_reason = "failing"
        email_owner_disabled(session, endpoint, now)


def claim_many(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Claim the still-due deliveries among ``ids`` in one ``UPDATE … WHERE … RETURNING``; commits.

    The same condition as ``claim``: a row another worker took meanwhile is not due any more,
    so it is not returned and this worker does not send it.
    """
    if not ids:
        return []
    taken = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(ids),
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease(), attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(taken.scalars())
    session.commit()
    return claimed


def deliver_due(session: Session, now: datetime) -> int:
    """Send one batch of due deliveries; returns how many attempts were made."""
    claimed = claim_many(session, _due_ids(session, now), now)
    if not claimed:
        return 0
    jobs = _jobs(session, claimed, now=now)
    session.commit()  # no transaction held open across the HTTP requests
    allow_private = outbound.allow_private()
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", TIMEOUT_SECONDS))
    by_endpoint: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_endpoint[job.url].append(job)

    def run(group: list[Job]) -> list[Result]:
        return [_send(job, now, allow_private, timeout) for job in group]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [r for group in pool.map(run, by_endpoint.values()) for r in group]
    deliveries = session.scalars(
        select(WebhookDelivery).options(joinedload(WebhookDelivery.endpoint)).where(WebhookDelivery.id.in_(claimed))
    ).all()  # one query for the batch; record_result's session.get then finds them loaded
    assert len(deliveries) == len(claimed)
    for result in results:
        record_result(session, result, now)
    session.commit()
    return len(results)


def retry_now(session: Session, delivery: WebhookDelivery, now: datetime) -> None:
    """Make ``delivery`` due now (same event, so the same ``webhook-id``); the caller commits."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
