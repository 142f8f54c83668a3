"""Every email template the app sends, produced by the real service for French readers, reads French.

For each template on disk (``templates/email/<name>.subject.txt|.txt|.html``, partials start with
``_``) a scenario of ``email_scenarios`` makes the app send it. Each French message (subject, text
and HTML parts) must differ from the English rendering of the same message, contain no English
sentence of the French catalog (a msgid whose French translation differs), no raw code, no time
with seconds, and write dates, times and money the French way. A template without a scenario fails.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.extensions import db
from closerhub.notifications import service as notifications
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory
from tests.integration.demo_reading import text_nodes
from tests.integration.email_scenarios import SCENARIOS, people_in_french
from tests.integration.test_emails_in_french import french_problems

ROOT = Path(__file__).resolve().parents[2]
EMAILS = ROOT / "templates" / "email"
CATALOG = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
TEMPLATES = sorted({p.name.split(".")[0] for p in EMAILS.iterdir() if not p.name.startswith("_")})

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}")
URL = re.compile(r"https?://\S+")
ENGLISH_CLOCK = re.compile(r"\b\d{1,2}(:\d\d)?\s?(AM|PM)\b|\b(a\.m\.|p\.m\.)")
ENGLISH_DAYS = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?,? \d"
)
ENGLISH_MONEY = re.compile(r"[€$£]\s?\d|\b\d{1,3}(,\d{3})+(\.\d+)?\b|\b\d+\.\d{2}\s?(€|EUR|USD|\$)")


@cache
def english_fragments() -> tuple[str, ...]:
    """The English sentences of the catalog that French says otherwise: each msgid cut at its
    placeholders, pieces of at least three words (shorter ones, "Call" or "Status", could be names)."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    pieces = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not any(strings) or set(ids) == set(strings):
            continue
        for msgid in ids:
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()–-\n\"'«»")
                if len(piece.split()) >= 3 and piece not in strings:
                    pieces.add(piece)
    return tuple(sorted(pieces, key=len, reverse=True))


def english_left(texts: list[str]) -> list[str]:
    whole = "\n".join(texts)
    return [f"catalog English: {piece!r}" for piece in english_fragments() if piece in whole]


def convention_faults(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        text = URL.sub("<url>", text)  # a link's random token can read "…2AM" or "-Mon-"
        if ENGLISH_CLOCK.search(text):
            found.append(f"12-hour clock: {text!r}")
        if ENGLISH_DAYS.search(text):
            found.append(f"English date: {text!r}")
        if ENGLISH_MONEY.search(text):
            found.append(f"English money: {text!r}")
    return found


def readable(subject: str, text: str, html: str) -> list[str]:
    return [t for t in [subject, *text.splitlines(), *text_nodes(html)] if t.strip()]


def faults(subject: str, text: str, html: str) -> list[str]:
    texts = readable(subject, text, html)
    return french_problems(texts) + english_left(texts) + convention_faults(texts)


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (template, language, context) the app renders, for an English rendering of the same message."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    real = notifications.render_email

    def spy(template: str, language: str, context: Any, *, now: datetime) -> notifications.RenderedEmail:
        calls.append((template, language, dict(context)))
        return real(template, language, context, now=now)

    monkeypatch.setattr(notifications, "render_email", spy)
    return calls


def test_every_email_template_on_disk_has_a_french_scenario() -> None:
    assert len(TEMPLATES) >= 40
    for name in TEMPLATES:  # an email is three files; a piece shared by emails starts with "_"
        assert all((EMAILS / f"{name}.{part}").is_file() for part in ("subject.txt", "txt", "html")), name
    assert set(SCENARIOS) == set(TEMPLATES), {
        "templates without a French scenario": sorted(set(TEMPLATES) - set(SCENARIOS)),
        "scenarios without a template": sorted(set(SCENARIOS) - set(TEMPLATES)),
    }


def test_the_checks_find_english_in_an_english_email(app: Flask, make_user: UserFactory) -> None:
    """The same checks on an English message fail: they can fail."""
    user = make_user("closer", language="en", timezone="America/New_York")
    with app.test_request_context():
        english = notifications.render_email("password_changed", "en", {"user": user}, now=clock.utcnow())
    assert english_left(readable(english.subject, english.text, english.html))
    assert convention_faults(["Tue, Dec 1, 3:00 PM", "€4,800.00"]) and not convention_faults(["mar. 1 déc., 15:00"])
    assert not convention_faults(["4 800,00 €", "1 234,56 $US"])


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_email_reads_in_french(
    app: Flask, make_user: UserFactory, rendered: list[tuple[str, str, dict[str, Any]]], template: str
) -> None:
    scenario = SCENARIOS.get(template)
    assert scenario is not None, f"no scenario sends {template} to a French reader: add one to email_scenarios.py"
    with app.test_request_context():
        scenario(people_in_french(make_user))
        db.session.commit()
        mine = [(language, context) for name, language, context in rendered if name == template]
        assert any(language == "fr" for language, _context in mine), f"{template} was not sent in French"
        found: dict[str, list[str]] = {}
        for language, context in mine:
            if language != "fr":
                continue
            french = notifications.render_email(template, "fr", context, now=clock.utcnow())
            english = notifications.render_email(template, "en", context, now=clock.utcnow())
            assert french.subject != english.subject, french.subject
            assert french.text != english.text and french.html != english.html, french.text
            if bad := faults(french.subject, french.text, french.html):
                found[f"to {context.get('recipient') or context.get('user')}"] = bad
        stored = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == template, OutboxMessage.language == "fr")
        ).all()
        assert stored and all(m.text_body and m.subject for m in stored)  # what the outbox holds, rendered
        for message in stored:
            if bad := faults(message.subject, message.text_body, message.html_body or ""):
                found[f"outbox #{message.id}"] = bad
    assert not found, "\n".join(f"{who}: {problems[:6]}" for who, problems in found.items())
