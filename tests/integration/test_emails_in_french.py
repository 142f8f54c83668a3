"""Every email the demo sends, rendered for a French reader: no raw code, no English sentence left,
no time with seconds, no "minor units" or "bps" (both the text and the HTML part)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from closerhub.notifications.service import render_message
from tests.integration.demo_reading import problems, text_nodes
from tests.integration.test_demo_in_french import demo  # noqa: F401  (the demo fixture)

# English that a French email must not contain (whole words, with their spaces)
ENGLISH = re.compile(r"(?i)(^|\s)(the|your|has been|you can|please|will be|of the|to confirm|booked by)(\s|$)")
UNITS = re.compile(r"\b(bps|minor units)\b")


QUOTED = re.compile(r"«[^»]*»|“[^”]*”")  # what people wrote (a dispute's reason), quoted in their own words


def french_problems(texts: list[str]) -> list[str]:
    found = problems(texts, french=True)
    found += [f"English: {t!r}" for t in texts if ENGLISH.search(QUOTED.sub("", t))]
    found += [f"units: {t!r}" for t in texts if UNITS.search(t)]
    return found


def test_every_email_of_the_demo_reads_in_french(app: Flask, demo: None) -> None:  # noqa: F811
    found: dict[str, list[str]] = {}
    covered = set()
    for message in db.session.scalars(select(OutboxMessage)):
        if message.status == OutboxStatus.TO_RENDER:  # render it now, for a French reader
            message.language = "fr"
            if not render_message(db.session, message):
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
