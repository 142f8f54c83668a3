"""Every email the demo sends, rendered for a French reader: no raw code, no English sentence left,
no time with seconds, no "minor units" or "bps" (both the text and the HTML part)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts import verification
from closerhub.accounts.commands import EmailChange
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from closerhub.notifications.service import render_email, render_message
from closerhub.vetting import service as vetting
from closerhub.vetting.commands import VettingDecision
from tests.conftest import PASSWORD, UserFactory
from tests.integration.demo_reading import problems, text_nodes

# English that a French email must not contain (whole words, with their spaces)
ENGLISH = re.compile(r"(?i)(^|\s)(the|your|has been|you can|please|will be|of the|to confirm|booked by)(\s|$)")
UNITS = re.compile(r"\b(bps|minor units)\b")


QUOTED = re.compile(r"«[^»]*»|“[^”]*”")  # what people wrote (a dispute's reason), quoted in their own words


def french_problems(texts: list[str]) -> list[str]:
    found = problems(texts, french=True)
    found += [f"English: {t!r}" for t in texts if ENGLISH.search(QUOTED.sub("", t))]
    found += [f"units: {t!r}" for t in texts if UNITS.search(t)]
    return found


def test_every_email_of_the_demo_reads_in_french(app: Flask, demo: str) -> None:
    found: dict[str, list[str]] = {}
    covered = set()
    for message in db.session.scalars(select(OutboxMessage)):
        if message.status == OutboxStatus.TO_RENDER:  # render it now, for a French reader
            message.language = "fr"
            if not render_message(db.session, message, now=clock.utcnow()):
                continue
        if message.language != "fr":
            continue
        covered.add(message.template)
        texts = [message.subject, *message.text_body.splitlines(), *text_nodes(message.html_body or "")]
        if bad := french_problems([t for t in texts if t.strip()]):
            found[message.template] = bad
    db.session.rollback()
    assert len(covered) >= 8, sorted(covered)  # the demo's emails, not every template: see the README
    assert not found, "\n".join(f"{k}: {v[:5]}" for k, v in found.items())


def test_the_account_emails_read_in_french(app: Flask, make_user: UserFactory) -> None:
    """Welcome, address check, password reset and change, address change: queued by the account
    services for a French user, then read back from the outbox."""
    user = make_user("closer", language="fr", email="zoe@example.com", verified=False)
    with app.test_request_context():
        verification.queue_verification_email(db.session, user, now=clock.utcnow())
        accounts.request_password_reset(
            db.session, user.email, lambda token: f"https://x.test/reset/{token}", now=clock.utcnow()
        )
        accounts.change_password(db.session, user, PASSWORD, "another-long-password", now=clock.utcnow())
        accounts.change_email(
            db.session,
            user,
            EmailChange(email="zoe.new@example.com", password="another-long-password"),
            now=clock.utcnow(),
        )
        db.session.commit()
    messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.language == "fr")))
    templates = {m.template for m in messages}
    assert {"welcome", "verify_email", "password_reset", "password_changed", "email_changed"} <= templates
    for message in messages:
        if message.status == OutboxStatus.TO_RENDER:
            assert render_message(db.session, message, now=clock.utcnow())
        assert message.text_body and "CloserHub" in message.text_body
        texts = [message.subject, *message.text_body.splitlines(), *text_nodes(message.html_body or "")]
        assert not french_problems([t for t in texts if t.strip()]), (message.template, message.text_body)


def test_the_check_finds_english_and_units(app: Flask, make_user: UserFactory) -> None:
    """The same email in English fails the French check: the check can fail."""
    user = make_user("closer", language="en")
    with app.test_request_context():
        english = render_email("password_changed", "en", {"user": user}, now=clock.utcnow())
    assert french_problems(english.text.splitlines())
    assert french_problems(["Taux : 1500 bps"]) and french_problems(["Rendez-vous à 09:00:00"])


def test_the_vetting_emails_read_in_french(app: Flask, make_user: UserFactory) -> None:
    """Changes requested, then rejected: decided by an admin for a French closer, read from the outbox."""
    admin = make_user("admin")
    closer = make_user("closer", language="fr", approved=False)
    with app.test_request_context():
        for decision in ("request_changes", "reject"):
            refusal = VettingDecision(decision, reason="Profil incomplet.")
            vetting.decide(db.session, admin, closer.id, refusal, now=clock.utcnow())
            db.session.commit()
            if decision == "request_changes":
                vetting.resubmit(db.session, closer, now=clock.utcnow())
                db.session.commit()
    messages = [m for m in db.session.scalars(select(OutboxMessage)) if m.template.startswith("vetting_")]
    assert {m.template for m in messages} == {"vetting_changes_requested", "vetting_rejected"}
    for message in messages:
        if message.status == OutboxStatus.TO_RENDER:
            assert render_message(db.session, message, now=clock.utcnow())
        assert message.language == "fr" and "Profil incomplet." in message.text_body
        texts = [message.subject, *message.text_body.splitlines(), *text_nodes(message.html_body or "")]
        assert not french_problems([t for t in texts if t.strip()]), (message.template, message.text_body)
