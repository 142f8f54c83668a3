"""Email use cases: render a message and queue it in the outbox (the caller commits).

Delivery (after the commit, by the worker, retries) lives in ``delivery``; its module
docstring explains how a message is sent exactly once and never for a rolled-back
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.notifications.delivery import send_after_commit
from closerhub.notifications.mailer import (
    Attachment,
    SmtpSettings,
    build_message,
    new_message_id,
)
from closerhub.notifications.models import OutboxMessage, OutboxStatus

__all__ = ["Attachment", "RenderedEmail", "public_url", "queue_email", "render_email", "supported_language"]

log = logging.getLogger(__name__)

SUBJECT_MAX = 255


@dataclass(frozen=True)
class RenderedEmail:
    """An email rendered for one recipient: one-line subject, text body, HTML body."""

    subject: str
    text: str
    html: str


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``PUBLIC_BASE_URL`` (emails are rendered outside requests too)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def supported_language(language: str) -> str:
    """``language`` if the app speaks it, else the default language."""
    if language in current_app.config.get("LANGUAGES", ["en"]):
        return language
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))


def render_email(template: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render ``templates/email/<template>.{subject.txt,txt,html}`` in ``language``.

    The ``.html`` body is autoescaped (user names may hold HTML); the text parts are not.
    """
    language = supported_language(language)
    # ``now`` lets a message say when something happened (in the recipient's zone, via ``local_time``).
    values = {"public_url": public_url, "language": language, "now": clock.utcnow(), **context}
    with force_locale(language):
        subject = render_template(f"email/{template}.subject.txt", **values)
        text = render_template(f"email/{template}.txt", **values)
        html = render_template(f"email/{template}.html", **values)
    subject = " ".join(subject.split())  # one line: a newline in a header could inject others
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    context: dict[str, Any],
    attachments: list[Attachment] | None = None,
    cc: Sequence[str] = (),
) -> OutboxMessage:
    """Render an email for one recipient and add it to the outbox (the caller commits).

    With ``MAIL_SERVER`` set the message is ``pending`` and is sent right after the commit;
    without, it is ``stored`` (logged, and readable on the admin outbox page).
    """
    for address in (to, *cc):
        if not address or "\n" in address or "\r" in address:
            raise ValueError(f"invalid recipient address {address!r}")
    config = current_app.config
    language = supported_language(language)
    rendered = render_email(template, language, context)
    files = list(attachments or [])
    settings = SmtpSettings.from_config(config)
    now = clock.utcnow()
    message_id = new_message_id(config["MAIL_DEFAULT_SENDER"])
    # Build the MIME message once now, so a bad header or attachment fails in the caller, not the worker.
    build_message(
        sender=config["MAIL_DEFAULT_SENDER"],
        to=to,
        cc=cc,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
        attachments=files,
    )
    message = OutboxMessage(
        to_address=to,
        cc=list(cc),
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        attachments=[a.to_json() for a in files],
        template=template,
        language=language,
        message_id=message_id,
        status=OutboxStatus.PENDING if settings else OutboxStatus.STORED,
        attempts=0,
        next_attempt_at=now if settings else None,
        created_at=now,
    )
    session.add(message)
    if settings:
        send_after_commit(session, message)
    else:
        # The body (reset links included) reaches the console only outside production,
        # so `make run` users can follow links; production logs must not hold secrets.
        body = "" if config.get("ENV_NAME") == "production" else "\n" + rendered.text
        log.info("Email stored, not sent (no MAIL_SERVER): to=%s subject=%r%s", to, rendered.subject, body)
    return message
