"""Every page of the demo, read by each demo role in French, and the demo's emails to French readers:
no stored code shown raw, no English sentence left, no time with seconds, no "minor units"."""

from __future__ import annotations

import re
from collections import deque

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.demo import DEMO_PASSWORD
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from closerhub.notifications.service import render_message
from tests.conftest import AuthActions
from tests.integration.demo_reading import problems, text_nodes

HREF = re.compile(r'href="(/[^"#]*)"')
NOT_PAGES = re.compile(r"^/(api|static|book/|calendar/[^/]+\.ics|logout)|\.(csv|ics|xml|json|pdf)(\?|$)|/download")
MOST_PAGES = 45  # per role: every menu entry and the pages they link to


def walk(client, start: str = "/dashboard") -> dict[str, str]:
    """The role's pages reachable from the dashboard (GET only), breadth first: path → HTML."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue and len(seen) < MOST_PAGES:
        path = queue.popleft().replace("&amp;", "&")
        if path in seen or NOT_PAGES.search(path):
            continue
        response = client.get(path)
        assert response.status_code in (200, 302, 303), (path, response.status_code)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            seen[path] = ""
            continue
        html = response.get_data(as_text=True)
        seen[path] = html
        queue.extend(HREF.findall(html))
    return seen


@pytest.mark.parametrize(
    "email", ["admin@demo.closerhub.dev", "owner@acme-coaching.demo", "claire@closers.demo", "jake@closers.demo"]
)
def test_every_demo_page_reads_in_french_without_codes_or_seconds(app: Flask, demo: str, email: str) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    user.language = "fr"
    db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login(email, DEMO_PASSWORD).status_code == 302
    pages = walk(client)
    assert len(pages) >= 8, sorted(pages)
    found = {path: p for path, html in pages.items() if html and (p := problems(text_nodes(html), french=True))}
    assert not found, "\n".join(f"{k}: {v[:6]}" for k, v in found.items())


def test_the_demo_emails_read_in_french_without_codes_or_seconds(app: Flask, demo: str) -> None:
    messages = list(db.session.scalars(select(OutboxMessage)))
    assert messages
    checked = 0
    for message in messages:
        if message.status == OutboxStatus.TO_RENDER:  # render it now, for a French reader
            message.language = "fr"
            if not render_message(db.session, message, now=clock.utcnow()):
                continue
        if message.language != "fr":
            continue
        checked += 1
        texts = [message.subject, *message.text_body.splitlines(), *text_nodes(message.html_body or "")]
        assert not problems([t for t in texts if t.strip()], french=True), (message.template, message.text_body)
    db.session.rollback()
    assert checked >= 5
    assert clock.utcnow()  # the demo ran as of now
