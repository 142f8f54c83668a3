"""A French prospect, in a real Chromium set to French: the page, its refusals, the defaults and the email.

The refusal comes from deep in the booking service (`leads/cleaning.py` via `core.i18n`), not
from the form layer: it is what a French reader used to get in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

PROSPECT_EMAIL = "camille@example.fr"


@pytest.fixture
def french_page(_browser: Any, live_server: Any) -> Iterator[Any]:
    context = _browser.new_context(
        base_url=live_server.url, timezone_id="Europe/Paris", locale="fr-FR", viewport={"width": 375, "height": 740}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def test_a_french_prospect_books_in_french_from_the_page_to_the_email(
    french_page: Any, setting: dict[str, Any]
) -> None:
    page = french_page
    page.goto(f"/book/{setting['offer'].booking_key}")
    page.wait_for_url(re.compile(r"tz=Europe%2FParis"))
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator('a[data-day="2026-06-02"]').click()
    page.locator('a[data-slot-start="2026-06-02T13:00:00Z"]').click()  # 15:00 in Paris

    page.wait_for_url("**/confirm?**")
    assert page.get_by_label("Langue de vos e-mails").input_value() == "fr"  # the page's language
    page.get_by_label("Votre nom").fill("Camille Martin")
    page.get_by_label("E-mail", exact=True).fill(PROSPECT_EMAIL)
    page.get_by_label("What is your monthly revenue?").fill("Environ 20 k€")  # the business's own words
    page.get_by_label("Appel téléphonique").check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Réserver le créneau")).click()

    # Refused by the booking service, in French, on the phone field; nothing booked.
    error = page.locator("#phone-err")
    assert "Un appel téléphonique nécessite le numéro de téléphone du prospect" in error.inner_text()
    db.session.rollback()
    assert db.session.scalars(select(Appointment)).all() == []

    page.get_by_label("Téléphone").fill("+33 6 12 34 56 78")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Réserver le créneau")).click()
    page.wait_for_url("**/done/**")
    assert "mardi 2 juin" in page.get_by_test_id("summary").inner_text()

    db.session.rollback()
    (appointment,) = db.session.scalars(select(Appointment)).all()
    assert appointment.lead.language == "fr" and appointment.lead.phone_e164 == "+33612345678"
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == PROSPECT_EMAIL)).all()
    assert email.language == "fr" and "mardi 2 juin" in email.text_body
    assert page.js_errors == []
