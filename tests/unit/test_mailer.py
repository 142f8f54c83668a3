"""The mailer builds standard MIME messages and reports SMTP failures by kind (no app needed).

Sending is checked against a real aiosmtpd server on 127.0.0.1 and a port with nothing listening.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from closerhub.notifications.mailer import (
    Attachment,
    DeliveryError,
    SmtpSender,
    SmtpSettings,
    build_message,
    new_message_id,
    send,
    sender_domain,
)
from tests.fixtures.smtp import Collector, SmtpServer, start_smtp_server, unused_port

SENDER = "CloserHub <no-reply@closerhub.example>"
WHEN = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def a_message(**overrides: object) -> EmailMessage:
    values: dict[str, object] = {
        "sender": SENDER,
        "to": "lea@example.com",
        "subject": "Bienvenue, Léa",
        "text": "Bonjour Léa,\n",
        "html": "<p>Bonjour L&eacute;a,</p>",
        "message_id": "<abc@closerhub.example>",
        "date": WHEN,
    }
    values.update(overrides)
    return build_message(**values)  # type: ignore[arg-type]


def reparsed(msg: EmailMessage) -> EmailMessage:
    """What a receiver sees: the message serialized to bytes and parsed again."""
    return message_from_bytes(msg.as_bytes(), policy=policy.default)  # type: ignore[return-value]


def test_a_message_has_a_text_and_an_html_alternative_with_from_date_and_message_id() -> None:
    msg = reparsed(a_message())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"] == SENDER and msg["To"] == "lea@example.com" and msg["Subject"] == "Bienvenue, Léa"
    assert msg["Message-ID"] == "<abc@closerhub.example>"
    assert msg["Date"] == "Sun, 30 Mar 2025 01:30:00 +0000"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_body(("plain",)).get_content() == "Bonjour Léa,\n"  # type: ignore[union-attr]
    assert "Bonjour L&eacute;a" in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_cc_addresses_are_listed_in_the_cc_header() -> None:
    msg = reparsed(a_message(cc=["boss@example.com", "team@example.com"]))
    assert msg["Cc"] == "boss@example.com, team@example.com"


def test_attachments_make_the_message_mixed_with_the_alternatives_first() -> None:
    pdf = b"%PDF-1.4\x00\xff binary"
    msg = reparsed(
        a_message(
            attachments=[
                Attachment("invite.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS),
                Attachment("terms.pdf", "application/pdf", pdf),
            ]
        )
    )
    assert msg.get_content_type() == "multipart/mixed"
    alternative, ics, binary = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "invite.ics"
    assert ics.get_content().replace("\n", "\r\n") == ICS  # the parser gives lines back with \n
    assert binary.get_content_type() == "application/pdf" and binary.get_filename() == "terms.pdf"
    assert binary.get_content() == pdf
    assert msg.get_body(("plain",)).get_content() == "Bonjour Léa,\n"  # type: ignore[union-attr]


def test_a_newline_in_the_subject_is_refused_rather_than_injecting_a_header() -> None:
    with pytest.raises(ValueError, match=r"linefeed|carriage return"):
        a_message(subject="Hello\nBcc: victim@example.com")


def test_attachments_survive_their_json_form_as_text_or_base64() -> None:
    text = Attachment("invite.ics", "text/calendar", ICS)
    binary = Attachment("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")
    assert text.to_json()["encoding"] == "utf-8" and text.to_json()["content"] == ICS
    assert binary.to_json() == {
        "filename": "logo.png",
        "content_type": "image/png",
        "encoding": "base64",
        "content": base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(),
    }
    assert Attachment.from_json(text.to_json()) == text
    assert Attachment.from_json(binary.to_json()) == binary
    with pytest.raises(ValueError, match="base64"):
        Attachment.from_json({"filename": "x", "content_type": "image/png", "encoding": "base64", "content": "%%"})


def test_message_ids_are_unique_and_on_the_senders_domain() -> None:
    first, second = new_message_id(SENDER), new_message_id(SENDER)
    assert first != second
    assert first.endswith("@closerhub.example>") and first.startswith("<")
    assert sender_domain("no-reply@a.example") == "a.example"


def test_settings_come_from_the_mail_config_and_are_absent_without_a_server() -> None:
    assert SmtpSettings.from_config({"MAIL_SERVER": ""}) is None
    assert SmtpSettings.from_config({}) is None
    settings = SmtpSettings.from_config(
        {
            "MAIL_SERVER": "smtp.example.com",
            "MAIL_PORT": 587,
            "MAIL_USE_TLS": True,
            "MAIL_USERNAME": "u",
            "MAIL_PASSWORD": "p",
            "MAIL_TIMEOUT": 3,
            "MAIL_DEFAULT_SENDER": SENDER,
        }
    )
    assert settings == SmtpSettings(
        host="smtp.example.com",
        port=587,
        use_tls=True,
        username="u",
        password="p",
        timeout=3.0,
        sender=SENDER,
    )


# --- against real sockets ----------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    srv = start_smtp_server()
    yield srv
    srv.stop()


def settings_for(srv: SmtpServer, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {"host": srv.host, "port": srv.port, "timeout": 5.0, "sender": SENDER}
    values.update(overrides)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def test_a_message_reaches_a_real_smtp_server_with_its_envelope(server: SmtpServer) -> None:
    send(a_message(cc=["boss@example.com"]), ["lea@example.com", "boss@example.com"], settings_for(server))
    (received,) = server.wait_for(1)
    assert received.envelope_from == "no-reply@closerhub.example"  # type: ignore[attr-defined]
    assert received.rcpt_tos == ["lea@example.com", "boss@example.com"]  # type: ignore[attr-defined]
    assert received["Subject"] == "Bienvenue, Léa" and received["Message-ID"] == "<abc@closerhub.example>"
    assert received.get_body(("html",)) is not None and received.get_body(("plain",)) is not None


def test_one_connection_carries_several_messages(server: SmtpServer) -> None:
    with SmtpSender(settings_for(server)) as sender:
        for n in range(3):
            sender.send(a_message(message_id=f"<{n}@closerhub.example>"), ["lea@example.com"])
    assert [m["Message-ID"] for m in server.wait_for(3)] == [f"<{n}@closerhub.example>" for n in range(3)]


def test_a_port_with_nothing_listening_is_reported_as_the_server_being_down() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=unused_port(), timeout=2.0, sender=SENDER)
    with pytest.raises(DeliveryError) as info:
        send(a_message(), ["lea@example.com"], settings)
    assert info.value.server_down and not info.value.permanent
    assert "Connection refused" in str(info.value) or "ConnectionRefusedError" in str(info.value)


def test_a_recipient_refused_with_a_5xx_code_is_a_permanent_failure() -> None:
    handler = Collector()
    handler.refuse.add("ghost@example.com")
    srv = start_smtp_server(handler)
    try:
        with SmtpSender(settings_for(srv)) as sender:
            with pytest.raises(DeliveryError) as info:
                sender.send(a_message(to="ghost@example.com"), ["ghost@example.com"])
            assert info.value.permanent and not info.value.server_down
            assert "550" in str(info.value) and "ghost@example.com" in str(info.value)
            # The connection stays usable for the next message of the batch.
            sender.send(a_message(), ["lea@example.com"])
        assert [m.rcpt_tos for m in srv.wait_for(1)] == [["lea@example.com"]]  # type: ignore[attr-defined]
    finally:
        srv.stop()


def test_starttls_against_a_server_without_it_fails_clearly_instead_of_sending_in_clear(
    server: SmtpServer,
) -> None:
    with pytest.raises(DeliveryError, match="STARTTLS") as info:
        send(a_message(), ["lea@example.com"], settings_for(server, use_tls=True))
    assert info.value.server_down
    assert server.messages == []


def test_wrong_smtp_credentials_are_reported_as_the_server_being_unusable() -> None:
    from aiosmtpd.smtp import AuthResult

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        login, password = (
            v.decode() if isinstance(v, bytes) else v
            for v in (getattr(auth_data, "login", ""), getattr(auth_data, "password", ""))
        )
        # handled=False: the server, not this callback, answers the client (235 or 535).
        return AuthResult(success=(login, password) == ("closerhub", "s3cret"), handled=False)

    srv = start_smtp_server(authenticator=authenticator, auth_require_tls=False)
    try:
        with pytest.raises(DeliveryError) as info:
            send(a_message(), ["lea@example.com"], settings_for(srv, username="closerhub", password="wrong"))
        assert info.value.server_down and "535" in str(info.value)
        send(a_message(), ["lea@example.com"], settings_for(srv, username="closerhub", password="s3cret"))
        assert len(srv.wait_for(1)) == 1
    finally:
        srv.stop()
