"""Build MIME messages and hand them to an SMTP server. No Flask, no database.

``build_message`` turns a rendered email into a ``multipart/alternative`` message (text,
then HTML: clients show the last part they understand), wrapped in ``multipart/mixed``
when files are attached. ``SmtpSender`` keeps one SMTP connection open across a batch and
turns every failure into a ``DeliveryError`` that says whether retrying can help.
"""

from __future__ import annotations

import base64
import binascii
import functools
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email. ``content`` is text (``text/*`` types) or bytes."""

    filename: str
    content_type: str
    content: bytes | str

    def to_json(self) -> dict[str, str]:
        """The form stored in ``OutboxMessage.attachments`` (JSON: bytes become base64)."""
        if isinstance(self.content, bytes):
            encoded, encoding = base64.b64encode(self.content).decode("ascii"), "base64"
        else:
            encoded, encoding = self.content, "utf-8"
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "encoding": encoding,
            "content": encoded,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        """Inverse of ``to_json``; a missing ``encoding`` means text."""
        content: bytes | str = str(data["content"])
        if data.get("encoding") == "base64":
            try:
                content = base64.b64decode(content, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"attachment {data.get('filename')!r} is not valid base64") from exc
        return cls(filename=str(data["filename"]), content_type=str(data["content_type"]), content=content)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: read from the ``MAIL_*`` settings."""

    host: str
    port: int = 25
    use_tls: bool = False  # STARTTLS after EHLO
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    sender: str = "CloserHub <no-reply@closerhub.local>"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """The settings, or ``None`` when no ``MAIL_SERVER`` is configured (messages are only stored)."""
        host = (config.get("MAIL_SERVER") or "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or "",
            password=config.get("MAIL_PASSWORD") or "",
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
            sender=config.get("MAIL_DEFAULT_SENDER") or cls.sender,
        )


class DeliveryError(Exception):
    """The SMTP server did not take the message.

    ``permanent``: retrying cannot help (every recipient was refused with a 5xx code).
    ``server_down``: the server itself is unreachable or broken (connect, TLS, login, lost
    connection), so the other messages of the batch would fail the same way.
    """

    def __init__(self, message: str, *, permanent: bool = False, server_down: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.server_down = server_down


@functools.lru_cache(maxsize=64)
def sender_domain(sender: str) -> str:
    """The domain of an address such as ``"CloserHub <no-reply@closerhub.example>"``."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "closerhub.local"


def new_message_id(sender: str) -> str:
    """A unique ``Message-ID`` on the sender's domain (not this host's name, which may leak)."""
    return make_msgid(domain=sender_domain(sender))


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    cc: Sequence[str] = (),
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """A ready-to-send message: text and HTML alternatives, then any attachments.

    Raises ``ValueError`` for a header that could inject others (a newline in the subject).
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office robots must not answer
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for item in attachments:
        _attach(msg, item)
    return msg


def _attach(msg: EmailMessage, item: Attachment) -> None:
    # Parse "text/calendar; method=REQUEST; charset=utf-8" with the email package itself.
    probe = EmailMessage()
    probe["Content-Type"] = item.content_type
    maintype, subtype = probe.get_content_maintype(), probe.get_content_subtype()
    params = {k: v for k, v in probe["Content-Type"].params.items() if k != "charset"}
    if isinstance(item.content, str) and maintype == "text":
        msg.add_attachment(item.content, subtype=subtype, filename=item.filename, params=params)
    else:
        data = item.content.encode() if isinstance(item.content, str) else item.content
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=item.filename, params=params)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "Recipients refused: " + "; ".join(
            f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class SmtpSender:
    """One SMTP connection reused for several messages; reconnects after any failure.

    Use as a context manager so the connection is closed (``QUIT``) at the end.
    """

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{_describe(exc)} ({s.host}:{s.port})", server_down=True) from exc
        try:
            smtp.ehlo()
            if s.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()  # capabilities change once encrypted (AUTH is often offered only now)
            if s.username:
                smtp.login(s.username, s.password)
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise DeliveryError(f"{_describe(exc)} ({s.host}:{s.port})", server_down=True) from exc
        return smtp

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """Send ``msg`` to the envelope ``recipients``; returns the recipients refused, if only some were.

        Raises ``DeliveryError`` when the server does not take the message.
        """
        if self._smtp is None:
            self._smtp = self._connect()
        envelope_from = parseaddr(self.settings.sender)[1] or None
        try:
            return self._smtp.send_message(msg, from_addr=envelope_from, to_addrs=list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            # send_message resets the transaction; the connection stays usable.
            permanent = all(code >= 500 for code, _reply in exc.recipients.values())
            raise DeliveryError(_describe(exc), permanent=permanent) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise DeliveryError(_describe(exc), server_down=True) from exc
        except smtplib.SMTPException as exc:
            self._drop()  # the session state is unknown after an error reply: start afresh
            raise DeliveryError(_describe(exc)) from exc

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server (best effort) and drop the connection."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the server went away first; nothing left to close politely
        finally:
            self._drop()


def send(msg: EmailMessage, recipients: Sequence[str], settings: SmtpSettings) -> None:
    """Send one message on its own connection (``DeliveryError`` if the server does not take it)."""
    with SmtpSender(settings) as sender:
        sender.send(msg, recipients)
