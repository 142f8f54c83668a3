"""The event catalog: what each event type means and an example body (README and /api/docs show it).

Examples are abbreviated: ``data`` is the whole API resource, as ``GET`` on it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from closerhub.core.i18n import N_
from closerhub.webhooks.service import TEST_EVENT

_AT = "2026-06-01T06:00:00Z"
_APPOINTMENT = {
    "id": 12,
    "uid": "appt-5f1c…@closerhub",
    "status": "booked",
    "start": "2026-06-02T07:00:00Z",
    "end": "2026-06-02T07:45:00Z",
    "channel": "video",
    "closer": {"id": 4, "name": "Ada Closer"},
    "lead": {"id": 31, "name": "Sam Prospect", "email": "sam@example.com"},
    "offer": {"id": 2, "name": "Coaching programme"},
    "business_id": 1,
    "reschedule_count": 0,
}
_OUTCOME = {
    "id": 7,
    "appointment_id": 12,
    "closer_id": 4,
    "business_id": 1,
    "result": "won",
    "status": "pending_confirmation",
    "deal_value": {"amount": 480000, "currency": "EUR"},
    "commission": {"amount": 48000, "currency": "EUR"},
    "recorded_at": _AT,
    "confirm_deadline": "2026-06-04T06:00:00Z",
}
_ENGAGEMENT = {
    "id": 3,
    "status": "active",
    "commission_rate_bps": 1000,
    "closer": {"id": 4, "name": "Ada Closer"},
    "business": {"id": 1, "name": "Acme Coaching"},
    "offer": {"id": 2, "name": "Coaching programme"},
    "accepted_at": _AT,
}
_LEAD = {
    "id": 31,
    "business_id": 1,
    "name": "Sam Prospect",
    "email": "sam@example.com",
    "timezone": "Europe/Paris",
    "source": "api",
    "created_at": _AT,
}
_INSTALMENT = {
    "id": 9,
    "due_on": "2026-07-01",
    "amount": {"amount": 160000, "currency": "EUR"},
    "status": "collected",
    "collected_on": "2026-07-02",
    "commission": {"amount": 16000, "currency": "EUR"},
}


@dataclass(frozen=True)
class EventDoc:
    """One event type: when it is sent (an ``N_`` text, translated where shown) and its ``data``."""

    type: str
    when: str
    data: dict[str, Any]

    def example(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": _AT, "data": self.data}


CATALOG = (
    EventDoc("appointment.booked", N_("A call was booked (booking page, API or the team)."), _APPOINTMENT),
    EventDoc(
        "appointment.rescheduled",
        N_("A call moved to another time."),
        {**_APPOINTMENT, "start": "2026-06-02T10:00:00Z", "end": "2026-06-02T10:45:00Z", "reschedule_count": 1},
    ),
    EventDoc(
        "appointment.cancelled",
        N_("A call was cancelled."),
        {**_APPOINTMENT, "status": "cancelled", "cancelled_at": _AT, "cancel_reason": "Prospect unavailable"},
    ),
    EventDoc("outcome.recorded", N_("The closer recorded a call's outcome."), _OUTCOME),
    EventDoc(
        "outcome.confirmed",
        N_("The business confirmed an outcome (or it was confirmed automatically at its deadline)."),
        {**_OUTCOME, "status": "confirmed", "confirmed_at": _AT},
    ),
    EventDoc(
        "outcome.disputed",
        N_("The business disputed an outcome."),
        {**_OUTCOME, "status": "disputed", "disputed_at": _AT, "dispute_reason": "No payment received"},
    ),
    EventDoc(
        "outcome.resolved",
        N_("A disputed outcome was resolved."),
        {**_OUTCOME, "status": "confirmed", "resolved_at": _AT, "resolution_note": "Payment found"},
    ),
    EventDoc("instalment.collected", N_("An instalment of a payment plan was collected."), _INSTALMENT),
    EventDoc("engagement.accepted", N_("A closer accepted an engagement."), _ENGAGEMENT),
    EventDoc(
        "engagement.declined",
        N_("A closer declined an engagement."),
        {
            **_ENGAGEMENT,
            "status": "declined",
            "accepted_at": None,
            "declined_at": _AT,
            "decline_reason": "Fully booked",
        },
    ),
    EventDoc("lead.created", N_("A lead was added (API, page or CSV import)."), _LEAD),
    EventDoc(
        TEST_EVENT,
        N_('Sent by "Send a test event" to one endpoint; never subscribed to.'),
        {"endpoint_id": 5, "message": "A test event from CloserHub."},
    ),
)

BY_TYPE = {e.type: e for e in CATALOG}

VERIFY_SNIPPET = """\
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

wh = Webhook("whsec_…")  # the endpoint's secret, shown once when you created or rotated it


@app.post("/closerhub-webhooks")
def closerhub_webhook():
    try:
        event = wh.verify(request.get_data(), dict(request.headers))  # the raw body, as received
    except WebhookVerificationError:
        return "", 400  # forged, altered, or older than 5 minutes
    if already_handled(request.headers["webhook-id"]):  # the same id on every retry and replay
        return "", 204
    handle(event["type"], event["data"])
    return "", 204
"""
