"""Email use cases: render a message and queue it in the outbox (the caller commits).

Two ways in. ``queue_email`` renders now: the caller gets a complete row. ``queue_email_later``
is for busy requests (a booking sends three emails with a calendar invite each, which cost
more than the booking itself): it stores a ``to_render`` row holding only the recipient, the
template and a small JSON context for a named renderer (``register_renderer``), in the
caller's transaction, so the intent is as durable as the booking and vanishes with it on
rollback. The worker's outbox job renders such rows (``render_pending``) just before
delivering, through the same ``render_message`` that ``EMAIL_RENDER_INLINE`` (default: on
under ``TESTING``) calls at once in the request.

Delivery (after the commit, by the worker, retries) lives in ``delivery``; its module
docstring explains how a message is sent exactly once and never for a rolled-back
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from closerhub.i18n import reading_in_zone
from closerhub.notifications.delivery import send_after_commit
from closerhub.notifications.mailer import (
    Attachment,
    SmtpSettings,
    build_message,
    new_message_id,
)
from closerhub.notifications.models import OutboxMessage, OutboxStatus

__all__ = [
    "Attachment",
    "RenderedEmail",
    "public_url",
    "queue_email",
    "queue_email_later",
    "register_renderer",
    "render_email",
    "render_message",
    "render_pending",
    "supported_language",
]

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


def render_email(template: str, language: str, context: Mapping[str, Any], *, now: datetime) -> RenderedEmail:
    """Render ``templates/email/<template>.{subject.txt,txt,html}`` in ``language``.

    The ``.html`` body is autoescaped (user names may hold HTML); the text parts are not.
    """
    language = supported_language(language)
    # ``now`` (the rendering's instant, from the request or job that renders) lets a message say when
    # something happened (in the recipient's zone, via ``local_time``).
    values = {"public_url": public_url, "language": language, "now": now, **context}
    reader = context.get("recipient") or context.get("user")
    with force_locale(language), reading_in_zone(getattr(reader, "timezone", None)):
        subject = render_template(f"email/{template}.subject.txt", **values)
        text = render_template(f"email/{template}.txt", **values)
        html = render_template(f"email/{template}.html", **values)
    subject = " ".join(subject.split())  # one line: a newline in a header could inject others
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)


def _check_addresses(to: str, cc: Sequence[str]) -> None:
    for address in (to, *cc):
        if not address or "\n" in address or "\r" in address:
            raise ValueError(f"invalid recipient address {address!r}")


def _fill(
    message: OutboxMessage, context: Mapping[str, Any], attachments: list[Attachment] | None, now: datetime
) -> bool:
    """Render ``message``'s template into it and set its delivery state; True when it awaits SMTP delivery.

    The MIME message is built once here, so a bad header or attachment fails now (in the
    caller, or for a deferred row in the worker, which marks it failed), not at delivery.
    """
    config = current_app.config
    rendered = render_email(message.template, message.language, context, now=now)
    files = list(attachments or [])
    settings = SmtpSettings.from_config(config)
    build_message(
        sender=config["MAIL_DEFAULT_SENDER"],
        to=message.to_address,
        cc=message.cc or [],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message.message_id,
        date=now,
        attachments=files,
    )
    message.subject, message.text_body, message.html_body = rendered.subject, rendered.text, rendered.html
    message.attachments = [a.to_json() for a in files]
    message.status = OutboxStatus.PENDING if settings else OutboxStatus.STORED
    message.next_attempt_at = now if settings else None
    if not settings:
        # The body (reset links included) reaches the console only outside production,
        # so `make run` users can follow links; production logs must not hold secrets.
        body = "" if config.get("ENV_NAME") == "production" else "\n" + rendered.text
        log.info(
            "Email stored, not sent (no MAIL_SERVER): to=%s subject=%r%s", message.to_address, rendered.subject, body
        )
    return settings is not None


def _new_message(
    *, to: str, cc: Sequence[str], template: str, language: str, status: OutboxStatus, now: datetime
) -> OutboxMessage:
    return OutboxMessage(
        to_address=to,
        cc=list(cc),
        subject="",
        text_body="",
        html_body="",
        attachments=[],
        template=template,
        language=supported_language(language),
        # Fixed when queued, so every retry (and a deferred render) carries the same Message-ID.
        message_id=new_message_id(current_app.config["MAIL_DEFAULT_SENDER"]),
        status=status,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    context: dict[str, Any],
    attachments: list[Attachment] | None = None,
    cc: Sequence[str] = (),
    now: datetime,
) -> OutboxMessage:
    """Render an email for one recipient and add it to the outbox (the caller commits).

    With ``MAIL_SERVER`` set the message is ``pending`` and is sent right after the commit;
    without, it is ``stored`` (logged, and readable on the admin outbox page).
    """
    _check_addresses(to, cc)
    message = _new_message(to=to, cc=cc, template=template, language=language, status=OutboxStatus.PENDING, now=now)
    pending = _fill(message, context, attachments, now)
    session.add(message)
    if pending:
        send_after_commit(session, message)
    return message


# --- deferred rendering ------------------------------------------------------------------------

#: A renderer turns a deferred row's JSON params into the template context and attachments, in
#: the row's language (the locale is forced around the call), at the rendering's instant (``now``, for a
#: calendar invite's DTSTAMP); None means "nothing to send any more".
Renderer = Callable[[Session, Mapping[str, Any], str, datetime], "tuple[dict[str, Any], list[Attachment]] | None"]
_RENDERERS: dict[str, Renderer] = {}

#: How many deferred rows one worker run renders (the rest wait for the next run): ~10 ms of CPU
#: each (bench/README.md), so a run stays around 5 s; the job repeats every 10 s.
RENDER_BATCH = 500


def register_renderer(name: str, renderer: Renderer) -> Renderer:
    """Make ``renderer`` available to deferred rows under ``name`` (a feature module does this on import)."""
    _RENDERERS[name] = renderer
    return renderer


def render_inline() -> bool:
    """``EMAIL_RENDER_INLINE``: render deferred emails in the request (default: only when ``TESTING``)."""
    config = current_app.config
    return bool(config.get("EMAIL_RENDER_INLINE", config.get("TESTING", False)))


def queue_email_later(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    renderer: str,
    params: dict[str, Any],
    cc: Sequence[str] = (),
    now: datetime,
) -> OutboxMessage:
    """Add a ``to_render`` email to the outbox: recipient, template and the renderer's JSON ``params`` only.

    Costs one small INSERT in the caller's transaction (the caller commits); the worker
    renders and sends it (``render_pending``). With ``EMAIL_RENDER_INLINE`` it is rendered
    at once by the same code, and behaves like ``queue_email``.
    """
    _check_addresses(to, cc)
    if renderer not in _RENDERERS:
        raise ValueError(f"unknown email renderer {renderer!r}")
    message = _new_message(to=to, cc=cc, template=template, language=language, status=OutboxStatus.TO_RENDER, now=now)
    message.render_context = {"renderer": renderer, "params": params}
    session.add(message)
    if render_inline() and render_message(session, message, now):
        send_after_commit(session, message)
    return message


def render_message(session: Session, message: OutboxMessage, now: datetime) -> bool:
    """Render a ``to_render`` row in place (pending or stored; failed if its renderer says nothing to send).

    Returns True when the row now awaits SMTP delivery. Raises what the renderer or the
    templates raise; the caller decides (the request's transaction fails, the worker marks it failed).
    ``now``: the rendering's instant (the request's, or the worker job's).
    """
    spec = message.render_context or {}
    renderer = _RENDERERS.get(str(spec.get("renderer")))
    if renderer is None:
        raise ValueError(f"unknown email renderer {spec.get('renderer')!r}")
    with force_locale(message.language):
        made = renderer(session, spec.get("params") or {}, message.language, now)
    if made is None:
        message.status, message.next_attempt_at = OutboxStatus.FAILED, None
        message.last_error = "Nothing to send any more (what the email was about is gone)."
        return False
    context, attachments = made
    return _fill(message, context, attachments, now)


def _rendered_values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "text_body": message.text_body,
        "html_body": message.html_body,
        "attachments": message.attachments,
        "status": message.status,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
    }


def render_pending(session: Session, now: datetime, limit: int = RENDER_BATCH) -> int:
    """Render up to ``limit`` ``to_render`` rows, oldest first (the worker, before delivering); returns how many.

    Safe with two workers: each row is rendered in a read-only pass, then stored by a
    conditional ``UPDATE … WHERE status = 'to_render'`` in its own short transaction (the
    UPDATE first, for SQLite); the second worker's update touches nothing and its render is
    dropped. The Message-ID was fixed when queued, so a row is never two emails. A row whose
    render fails is marked ``failed`` with the error, for an admin to see; the others go on.
    """
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.TO_RENDER)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    session.commit()
    rendered = 0
    for message_id in ids:
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.status != OutboxStatus.TO_RENDER:
            session.rollback()
            continue
        try:
            render_message(session, message, now)
            values = _rendered_values(message)
        except Exception as exc:  # a bug or bad data in one message must not stop the others
            log.exception("Outbox message %s could not be rendered", message_id)
            values = {"status": OutboxStatus.FAILED, "next_attempt_at": None, "last_error": f"Cannot render: {exc}"}
        session.rollback()  # drop the in-memory changes; the row is written by the conditional UPDATE
        done = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.TO_RENDER)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        rendered += done
    if rendered:
        log.info("Rendered %s deferred email(s) at %s", rendered, now.isoformat())
    return rendered
