"""People read zones as cities ("Times shown in Paris", "São Paulo"), never as IANA names
("Europe/Paris"), on every page of the demo each role reaches, in English and in French.

Forms keep IANA names as their values (inputs, datalists): only text nodes are read here.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.demo import DEMO_PASSWORD
from closerhub.extensions import db
from tests.conftest import AuthActions, UserFactory
from tests.integration.demo_reading import text_nodes
from tests.integration.test_demo_in_french import walk

EXAMPLE = re.compile(r"IANA|e\.g\.|p\. ex\.")  # a form hint showing the format to type
IANA = re.compile(r"\b(Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Z][A-Za-z_]+")


def iana_names(html: str) -> list[str]:
    """Text nodes naming a zone by its IANA name (the hints that explain the IANA format aside)."""
    return [t for t in text_nodes(html) if IANA.search(t) and not EXAMPLE.search(t)]


@pytest.mark.parametrize(
    ("email", "language"),
    [
        ("admin@demo.closerhub.dev", "en"),
        ("owner@acme-coaching.demo", "fr"),
        ("claire@closers.demo", "en"),
        ("jake@closers.demo", "fr"),
    ],
)
def test_demo_pages_name_zones_by_city(app: Flask, demo: str, email: str, language: str) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    user.language = language
    db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login(email, DEMO_PASSWORD).status_code == 302
    pages = walk(client)
    assert len(pages) >= 8, sorted(pages)
    found = {path: names for path, html in pages.items() if html and (names := iana_names(html))}
    assert not found, "\n".join(f"{k}: {v[:4]}" for k, v in found.items())


def test_footer_names_the_readers_city_in_their_language(app: Flask, make_user: UserFactory) -> None:
    user = make_user("closer", timezone="America/Sao_Paulo", language="fr")
    client = app.test_client()
    assert AuthActions(client).login(user.email).status_code == 302
    html = client.get("/dashboard").get_data(as_text=True)
    assert "São Paulo" in html
    assert "America/Sao_Paulo" not in " ".join(text_nodes(html))
