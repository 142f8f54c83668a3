"""The one module that imports ``twilio``: send a text, check a request's signature.

Configured by ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM`` (all three, or SMS
stay in the outbox); ``TWILIO_API_BASE`` points the SDK's REST domain elsewhere (the tests' fake).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

KEYS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")


class SmsSendError(Exception):
    """The provider refused the message or could not be reached; ``permanent``: do not try again."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str  # the provider's word: queued, accepted, sent, ...


def configured(config: Mapping[str, Any]) -> bool:
    """True when every provider key is set (else SMS are kept in the outbox)."""
    return all(config.get(key) for key in KEYS)


def _client(config: Mapping[str, Any]) -> Client:
    client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    if config.get("TWILIO_API_BASE"):
        client.api.base_url = str(config["TWILIO_API_BASE"]).rstrip("/")
    return client


def send(config: Mapping[str, Any], *, to: str, body: str, status_callback: str | None) -> Sent:
    """Hand one text to the provider."""
    try:
        extra = {"status_callback": status_callback} if status_callback else {}
        message = _client(config).messages.create(to=to, from_=config["TWILIO_FROM"], body=body, **extra)
    except TwilioRestException as exc:  # 4xx: a bad number, an opted-out number, ...; 5xx: try again
        raise SmsSendError(f"{exc.status} {exc.code}: {exc.msg}"[:500], permanent=exc.status < 500) from exc
    except (TwilioException, OSError) as exc:
        raise SmsSendError(str(exc)[:500], permanent=False) from exc
    return Sent(sid=str(message.sid), status=str(message.status))


def signature_ok(config: Mapping[str, Any], url: str, params: Mapping[str, str], signature: str) -> bool:
    """True when ``signature`` (X-Twilio-Signature) signs ``url`` and ``params`` with our auth token."""
    token = config.get("TWILIO_AUTH_TOKEN")
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, dict(params), signature))


def twiml_reply(text: str | None) -> str:
    """The TwiML answer to an inbound text: ``text`` sent back, or nothing."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
