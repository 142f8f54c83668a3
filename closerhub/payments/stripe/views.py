"""``POST /stripe/webhook``: Stripe's signed event deliveries (CSRF-exempt, not under /api/v1).

Answers:
- 400: bad or missing signature, a timestamp older than the tolerance, a body that is not
  an event, or webhooks not configured; nothing is stored.
- 200: stored and processed, stored and ignored (no handler for its type), or a replay.
- 500: the handler failed; the event is stored with the error and Stripe retries it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.api.problems import problem_response
from closerhub.core.i18n import _
from closerhub.extensions import db
from closerhub.payments.stripe.gateway import Gateway
from closerhub.payments.stripe.results import WebhookSignatureInvalid
from closerhub.payments.stripe.webhooks import Receipt, receive_event

bp = Blueprint("stripe_webhooks", __name__)


@bp.post("/stripe/webhook")
def receive() -> Response | tuple[Response, int]:
    """Verify, store once, process once; the handlers are quick DB updates, so this answers fast."""
    try:
        event = Gateway.construct_event(
            request.get_data(cache=False),
            request.headers.get("Stripe-Signature"),
            current_app.config.get("STRIPE_WEBHOOK_SECRET", ""),
        )
    except WebhookSignatureInvalid as exc:
        return problem_response(400, _(exc.title), exc.message, code=exc.code)
    receipt = receive_event(db.session, event, clock.utcnow())
    if receipt is Receipt.FAILED:
        # The title stays English: without a code it names the problem type (``/problems/webhook-handler-failed``).
        return problem_response(500, "Webhook handler failed", _("The event was stored and will be retried."))
    return jsonify({"id": event.id, "received": True, "result": receipt.value}), 200
