"""The email outbox on the real database, with a real SMTP server (aiosmtpd) or none at all."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts.commands import EmailChange
from closerhub.extensions import db
from closerhub.notifications import delivery
from closerhub.notifications import service as outbox
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from tests.conftest import PASSWORD, UserFactory
from tests.fixtures.smtp import SmtpServer, unused_port

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def messages_to(address: str, template: str | None = None) -> list[OutboxMessage]:
    """Messages to ``address`` in order; only those of ``template`` when given (a sign-up sends two)."""
    query = select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)
    if template is not None:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query))


def count_messages() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def settle() -> None:
    """Wait for the deliveries started after commits, then end this session's transaction.

    Ending it matters on SQLite (WAL): an open read transaction keeps seeing its old snapshot.
    """
    assert delivery.wait_for_background_deliveries(10), "background delivery did not finish"
    db.session.rollback()


@pytest.fixture
def probe_templates(app: Flask) -> Iterator[None]:
    """A test-only email template that prints the locale it was rendered in."""
    original = app.jinja_env.loader
    probe = DictLoader(
        {
            "email/probe.subject.txt": "locale={{ get_locale() }} {{ _('Hello %(name)s,', name=name) }}",
            "email/probe.txt": "Hi {{ name }}\n",
            "email/probe.html": "<p>{{ name }}</p>",
        }
    )
    app.jinja_env.loader = ChoiceLoader([probe, original])  # type: ignore[list-item]
    yield
    app.jinja_env.loader = original


# --- without a mail server ------------------------------------------------------------------------------


def test_without_a_mail_server_a_message_is_stored_logged_and_shown_to_admins_not_sent(
    app: Flask,
    smtp_server: SmtpServer,
    make_user: UserFactory,
    admin_client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["MAIL_SERVER"] = ""  # a live server is listening, but the app is not told about it
    with caplog.at_level(logging.INFO, logger="closerhub.notifications.service"):
        make_user("closer", email="lea@example.com", name="Léa Dupont")
    (message,) = messages_to("lea@example.com", "welcome")
    assert message.status == OutboxStatus.STORED and message.template == "welcome"
    assert message.next_attempt_at is None and message.attempts == 0
    # `make run` users read links in the console: recipient, subject and text body are logged.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "lea@example.com" in logged and message.subject in logged and "/dashboard" in logged

    assert delivery.deliver_pending(db.session, clock.utcnow() + timedelta(days=1)) == 0
    settle()
    assert smtp_server.messages == []
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.STORED  # type: ignore[union-attr]

    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "lea@example.com" in page and "Welcome to CloserHub, Léa Dupont" in page and "Stored" in page
    detail = admin_client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "Hello Léa Dupont," in detail and message.message_id.strip("<>") in detail


# --- delivery over SMTP -----------------------------------------------------------------------------------


def test_signing_up_sends_a_real_welcome_email_with_text_and_html_parts(
    smtp_server: SmtpServer, make_user: UserFactory, app: Flask
) -> None:
    make_user("closer", email="claire@example.com", name="Claire Closer")  # default zone Europe/Paris
    # The sign-up sends one email: the welcome, which carries the link that confirms the address.
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "claire@example.com"
    assert received["Subject"] == "Welcome to CloserHub, Claire Closer"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received.rcpt_tos == ["claire@example.com"]  # type: ignore[attr-defined]
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = received.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Hello Claire Closer," in text and "http://localhost/dashboard" in text
    assert "http://localhost/verify-email/" in text and "Confirm my email address" in html
    assert 'href="http://localhost/dashboard"' in html and "the time zone Paris" in html  # the zone as its city
    settle()
    (row,) = messages_to("claire@example.com")  # nothing else was sent
    assert (
        row.template == "welcome" and row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    )
    assert received["Message-ID"] == row.message_id


def test_signing_up_through_the_web_form_sends_the_welcome_email_after_the_commit(
    client: FlaskClient, smtp_server: SmtpServer
) -> None:
    form = {
        "role": "closer",
        "name": "Léa Dupont",
        "email": "lea@example.com",
        "password": PASSWORD,
        "timezone": "Europe/Paris",
        "language": "en",
    }
    response = client.post("/signup", data=form)
    assert response.status_code == 302
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "lea@example.com" and received["Subject"] == "Welcome to CloserHub, Léa Dupont"


def test_a_rolled_back_transaction_sends_nothing(app: Flask, smtp_server: SmtpServer) -> None:
    outbox.queue_email(
        db.session,
        to="nobody@example.com",
        template="welcome",
        language="en",
        context={"user": _StubUser()},
        now=clock.utcnow(),
    )
    db.session.flush()  # even written to the database, it must not leave before a commit
    db.session.rollback()
    db.session.commit()  # a later commit in the same session must not resurrect it
    settle()
    assert delivery.deliver_pending(db.session, clock.utcnow() + timedelta(days=1)) == 0
    assert smtp_server.messages == [] and count_messages() == 0


def test_savepoints_send_only_what_the_outer_transaction_commits(app: Flask, smtp_server: SmtpServer) -> None:
    with db.session.begin_nested():  # released, not committed: nothing may leave yet
        outbox.queue_email(
            db.session,
            to="kept@example.com",
            template="welcome",
            language="en",
            context={"user": _StubUser()},
            now=clock.utcnow(),
        )
    nested = db.session.begin_nested()
    outbox.queue_email(
        db.session,
        to="dropped@example.com",
        template="welcome",
        language="en",
        context={"user": _StubUser()},
        now=clock.utcnow(),
    )
    db.session.flush()
    nested.rollback()
    assert delivery.wait_for_background_deliveries(10)  # (settle() would end the outer transaction)
    assert smtp_server.messages == []
    db.session.commit()
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "kept@example.com"
    settle()
    assert [m.to_address for m in db.session.scalars(select(OutboxMessage))] == ["kept@example.com"]


def test_attachments_and_cc_are_delivered(app: Flask, smtp_server: SmtpServer) -> None:
    outbox.queue_email(
        db.session,
        to="lea@example.com",
        cc=["boss@example.com"],
        template="welcome",
        language="en",
        context={"user": _StubUser()},
        attachments=[Attachment("invite.ics", "text/calendar; method=REQUEST", ICS)],
        now=clock.utcnow(),
    )
    db.session.commit()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["lea@example.com", "boss@example.com"]  # type: ignore[attr-defined]
    assert received["Cc"] == "boss@example.com" and received.get_content_type() == "multipart/mixed"
    (ics,) = received.iter_attachments()
    assert ics.get_filename() == "invite.ics" and ics.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in ics.get_content()


# --- language and escaping ----------------------------------------------------------------------------------


def test_the_email_is_rendered_in_the_recipients_language(app: Flask, probe_templates: None) -> None:
    french = outbox.queue_email(
        db.session, to="lea@example.com", template="probe", language="fr", context={"name": "Léa"}, now=clock.utcnow()
    )
    english = outbox.queue_email(
        db.session, to="sam@example.com", template="probe", language="en", context={"name": "Sam"}, now=clock.utcnow()
    )
    unknown = outbox.queue_email(
        db.session, to="kim@example.com", template="probe", language="xx", context={"name": "Kim"}, now=clock.utcnow()
    )
    db.session.commit()
    assert french.subject.startswith("locale=fr ") and french.language == "fr"
    assert english.subject == "locale=en Hello Sam,"
    # An unsupported language falls back to the default, and the row says which one was used.
    assert unknown.subject.startswith("locale=en ") and unknown.language == "en"


def test_a_french_user_gets_the_french_welcome_subject(make_user: UserFactory, app: Flask) -> None:
    catalog = Path(app.root_path).parent / "translations" / "fr" / "LC_MESSAGES" / "messages.mo"
    if not catalog.exists():
        pytest.skip("the French catalog is not compiled yet (make translations)")
    from babel.support import Translations

    with catalog.open("rb") as fh:
        if Translations(fh).gettext("Welcome to CloserHub, %(name)s") == "Welcome to CloserHub, %(name)s":
            pytest.skip("the French catalog has no translation of the welcome subject yet")
    make_user("closer", email="lea@example.com", name="Léa", language="fr")
    (message,) = messages_to("lea@example.com", "welcome")
    assert message.language == "fr"
    assert message.subject != "Welcome to CloserHub, Léa" and "Léa" in message.subject


def test_html_in_a_users_name_is_escaped_in_the_html_email_and_kept_in_the_text(
    make_user: UserFactory,
) -> None:
    name = "<script>alert(1)</script> & <b>Eve</b>"
    make_user("closer", email="eve@example.com", name=name)
    (message,) = messages_to("eve@example.com", "welcome")
    assert "<script>" not in message.html_body and "<b>Eve</b>" not in message.html_body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Eve&lt;/b&gt;" in message.html_body
    assert f"Hello {name}," in message.text_body
    assert message.subject == f"Welcome to CloserHub, {name}"


def test_the_password_reset_email_says_the_link_lasts_an_hour_and_works_once(make_user: UserFactory) -> None:
    user = make_user("closer", email="lea@example.com")
    accounts.request_password_reset(
        db.session, user.email, lambda token: f"http://localhost/password/reset/{token}", now=clock.utcnow()
    )
    message = messages_to("lea@example.com")[-1]
    assert message.template == "password_reset" and message.subject == "Reset your CloserHub password"
    assert "http://localhost/password/reset/" in message.text_body
    assert "This link expires in 1 hour and works only once." in message.text_body
    assert 'href="http://localhost/password/reset/' in message.html_body


def test_the_email_change_notice_goes_to_the_old_address_and_names_both(make_user: UserFactory) -> None:
    user = make_user("closer", email="old@example.com", timezone="America/New_York")
    accounts.change_email(db.session, user, EmailChange(email="new@example.com", password=PASSWORD), now=clock.utcnow())
    (notice,) = [m for m in messages_to("old@example.com") if m.template == "email_changed"]
    assert "old@example.com" in notice.text_body and "new@example.com" in notice.text_body
    assert re.search(
        r"On \w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}\u202f[AP]M,", notice.text_body
    )  # New York: 12-hour
    assert [m.template for m in messages_to("new@example.com")] == ["verify_email"]  # the new one is verified


# --- failures, retries and concurrency --------------------------------------------------------------


def test_a_refusing_server_leaves_the_message_pending_with_backoff_then_failed_after_five_attempts(
    app: Flask,
) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=unused_port(), MAIL_TIMEOUT=2)
    start = clock.utcnow()
    with clock.frozen_at(start):
        message = outbox.queue_email(
            db.session,
            to="lea@example.com",
            template="welcome",
            language="en",
            context={"user": _StubUser()},
            now=clock.utcnow(),
        )
        db.session.commit()
        settle()  # the prompt attempt after the commit was refused
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == start + timedelta(minutes=1)
    assert message.last_error and "127.0.0.1" in message.last_error

    # Not due before its backoff has passed.
    assert delivery.deliver_pending(db.session, start + timedelta(seconds=59)) == 0
    db.session.expire_all()
    assert message.attempts == 1

    now = start
    for attempt, wait in ((2, 1), (3, 2), (4, 4)):
        now = message.next_attempt_at  # type: ignore[assignment]
        assert delivery.deliver_pending(db.session, now) == 0
        db.session.expire_all()
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, attempt)
        assert message.next_attempt_at == now + timedelta(minutes=wait * 2)

    assert delivery.deliver_pending(db.session, message.next_attempt_at) == 0  # type: ignore[arg-type]
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 5)
    assert message.next_attempt_at is None and "Connection refused" in (message.last_error or "")
    assert delivery.deliver_pending(db.session, now + timedelta(days=30)) == 0  # failed stays failed
    db.session.expire_all()
    assert message.attempts == 5


def test_two_deliverers_at_once_send_each_message_exactly_once(app: Flask, smtp_server: SmtpServer) -> None:
    later = clock.utcnow() + timedelta(hours=1)
    ids = []
    for n in range(20):
        message = outbox.queue_email(
            db.session,
            to=f"user{n}@example.com",
            template="welcome",
            language="en",
            context={"user": _StubUser()},
            now=clock.utcnow(),
        )
        message.next_attempt_at = later  # not due yet: the prompt after-commit delivery leaves them alone
        db.session.flush()
        ids.append(message.id)
    db.session.commit()
    settle()
    assert smtp_server.messages == []

    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                start.wait(timeout=10)
                results.append(delivery.deliver_pending(session, later, limit=50))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(results) == 20
    received = smtp_server.wait_for(20)
    settle()
    assert len(smtp_server.messages) == 20
    assert len({m["Message-ID"] for m in received}) == 20
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT, 1)}


def test_a_claim_abandoned_by_a_dead_worker_is_sent_once_its_lease_lapses(app: Flask, smtp_server: SmtpServer) -> None:
    message = outbox.queue_email(
        db.session,
        to="lea@example.com",
        template="welcome",
        language="en",
        context={"user": _StubUser()},
        now=clock.utcnow(),
    )
    db.session.flush()
    # As a worker leaves it when its process dies mid-send.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=OutboxStatus.SENDING, attempts=1, next_attempt_at=clock.utcnow() + delivery.CLAIM_LEASE)
    )
    db.session.commit()
    settle()
    assert delivery.deliver_pending(db.session, clock.utcnow()) == 0  # still leased
    assert delivery.deliver_pending(db.session, clock.utcnow() + delivery.CLAIM_LEASE + timedelta(seconds=1)) == 1
    smtp_server.wait_for(1)
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def _failed_message(app: Flask) -> OutboxMessage:
    message = outbox.queue_email(
        db.session,
        to="lea@example.com",
        template="welcome",
        language="en",
        context={"user": _StubUser()},
        now=clock.utcnow(),
    )
    db.session.flush()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(
            status=OutboxStatus.FAILED,
            attempts=5,
            next_attempt_at=None,
            last_error="SMTPDataError: 451 try later",
        )
    )
    db.session.commit()
    settle()
    db.session.expire_all()
    return message


def test_an_admin_can_retry_a_failed_message_and_it_is_sent(
    app: Flask, smtp_server: SmtpServer, admin_client: FlaskClient
) -> None:
    message = _failed_message(app)
    page = admin_client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "SMTPDataError: 451 try later" in page and f"/admin/outbox/{message.id}/retry" in page

    response = admin_client.post(f"/admin/outbox/{message.id}/retry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/outbox/{message.id}")
    (received,) = smtp_server.wait_for(1)
    assert received["Message-ID"] == message.message_id  # the same message, not a copy
    settle()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 1, None)

    again = admin_client.post(f"/admin/outbox/{message.id}/retry", follow_redirects=True)
    assert "Only a failed message can be retried." in again.get_data(as_text=True)
    settle()
    assert len(smtp_server.messages) == 1


def test_retrying_needs_a_csrf_token(app: Flask, admin_client: FlaskClient, csrf_enabled: None) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=unused_port())
    message = _failed_message(app)
    assert admin_client.post(f"/admin/outbox/{message.id}/retry").status_code == 400
    db.session.expire_all()
    assert message.status == OutboxStatus.FAILED


# --- admin pages ------------------------------------------------------------------------------------


def _outbox_urls() -> list[str]:
    message = db.session.scalars(select(OutboxMessage)).first()
    assert message is not None
    return ["/admin/outbox", f"/admin/outbox/{message.id}", f"/admin/outbox/{message.id}/html"]


def test_the_outbox_is_forbidden_to_closers(closer_client: FlaskClient) -> None:
    for url in _outbox_urls():
        assert closer_client.get(url).status_code == 403
    assert closer_client.post(_outbox_urls()[1] + "/retry").status_code == 403


# Separate from the closer's test: in one test, every request shares the app context the `app`
# fixture pushed, so Flask-Login's user cached in `g` would follow an anonymous client.
def test_the_outbox_sends_anonymous_visitors_to_the_login_page(client: FlaskClient, make_user: UserFactory) -> None:
    make_user("closer")
    for url in _outbox_urls():
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert client.post(_outbox_urls()[1] + "/retry").status_code == 302


def test_an_unknown_message_is_not_found(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/outbox/999999").status_code == 404
    assert admin_client.get("/admin/outbox/999999/html").status_code == 404
    assert admin_client.post("/admin/outbox/999999/retry").status_code == 404


def test_the_outbox_lists_newest_first_and_filters_by_status_and_recipient(
    admin_client: FlaskClient, make_user: UserFactory
) -> None:
    make_user("closer", email="first@example.com")
    make_user("business", email="second@acme.example")
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.to_address == "first@example.com")
        .values(status=OutboxStatus.FAILED, last_error="boom")
    )
    db.session.commit()
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert page.index("second@acme.example") < page.index("first@example.com")

    failed = admin_client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "first@example.com" in failed and "second@acme.example" not in failed and "boom" in failed
    searched = admin_client.get("/admin/outbox?q=ACME").get_data(as_text=True)
    assert "second@acme.example" in searched and "first@example.com" not in searched
    # LIKE wildcards in the search are literal characters.
    assert "No messages match." in admin_client.get("/admin/outbox?q=%25").get_data(as_text=True)
    assert admin_client.get("/admin/outbox?status=bogus&page=0").status_code == 200


def test_the_html_body_is_never_injected_into_the_admin_page(admin_client: FlaskClient, make_user: UserFactory) -> None:
    make_user("closer", email="eve@example.com", name="<img src=x onerror=alert(1)>")
    (message,) = messages_to("eve@example.com", "welcome")
    page = admin_client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert '<table role="presentation"' not in page  # the email's markup is only shown as escaped source
    assert any(f"&lt;table role={q}presentation{q}" in page for q in ("&#34;", "&quot;"))
    assert f'<iframe sandbox src="/admin/outbox/{message.id}/html"' in page
    assert "<img src=x" not in page

    preview = admin_client.get(f"/admin/outbox/{message.id}/html")
    assert preview.status_code == 200 and preview.get_data(as_text=True) == message.html_body
    csp = preview.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert preview.headers["Cache-Control"] == "no-store"


class _StubUser:
    """What the account templates read from a user, for messages queued outside a sign-up."""

    name = "Sam Stub"
    email = "sam@example.com"
    timezone = "Europe/Paris"
    is_business = False
