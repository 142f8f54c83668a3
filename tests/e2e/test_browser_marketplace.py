"""Issue 3's acceptance path in a real Chromium: search → propose at 15 % → accept → both dashboards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.businesses.offers import OfferData, create_offer
from closerhub.closers import service as closers
from closerhub.closers.availability_service import replace_availability
from closerhub.closers.commands import AvailabilityChange, WeeklyWindow
from closerhub.core.money import Money
from closerhub.engagements.models import Engagement
from closerhub.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
WEEKDAYS_9_TO_12 = tuple(WeeklyWindow(d, "09:00", "12:00") for d in range(5))
WEEKDAYS_9_TO_17 = tuple(WeeklyWindow(d, "09:00", "17:00") for d in range(5))


def closer_with_hours(make_user, name, email, zone, languages, weekly) -> User:
    user = make_user("closer", name=name, email=email, timezone=zone)
    closers.update_profile(
        db.session,
        user,
        closers.ProfileData(
            headline=f"{name} closes coaching offers",
            languages=tuple(closers.LanguageSkill(**lang) for lang in languages),
            industries=("coaching",),
            timezone=zone,
            min_rate_bps=1200,
        ),
        now=NOW,
    )
    replace_availability(db.session, user, AvailabilityChange(slot_minutes=60, weekly=weekly), now=NOW)
    return user


def log_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def test_a_business_finds_a_french_closer_for_paris_mornings_and_engages_her(page, make_user) -> None:
    with time_machine.travel(NOW, tick=True):
        business = make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
        create_offer(
            db.session,
            business,
            OfferData(
                name="Mindset Mastery",
                price=Money(480000, "EUR"),
                description="12-week coaching programme",
                closing_script="Open with their goal.",
            ),
            now=clock.utcnow(),
        )
        claire = closer_with_hours(
            make_user,
            "Claire Martin",
            "claire@example.com",
            "Europe/Paris",
            [{"code": "fr", "level": "native"}],
            WEEKDAYS_9_TO_12,
        )
        closer_with_hours(
            make_user,
            "Jake Thompson",
            "jake@example.com",
            "America/Los_Angeles",
            [{"code": "en", "level": "native"}, {"code": "fr", "level": "working"}],
            WEEKDAYS_9_TO_17,
        )

        log_in(page, "omar@acme.example")
        page.goto("/closers")
        page.get_by_label("Language spoken with the prospect").select_option("fr")
        page.get_by_label("Your prospects' time zone").fill("Europe/Paris")
        page.get_by_label("Free within (days)").fill("7")
        # The search is a GET form: wait for the results page, not the one it replaces.
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        results = page.locator("article.result")
        assert results.count() == 2
        first = results.nth(0)
        assert "Claire Martin" in first.inner_text()
        assert "speaks French natively" in first.inner_text()
        assert "15 h/week while your prospects are awake" in first.inner_text()

        first.get_by_role("link", name="Propose an engagement").click()
        page.get_by_label("Offer").select_option(label="Mindset Mastery")
        page.get_by_label("Commission (%)").fill("15")
        with page.expect_navigation():
            page.get_by_role("button", name="Send proposal").click()
        db.session.commit()
        engagement = db.session.scalar(select(Engagement))
        assert engagement is not None and engagement.commission_rate_bps == 1500
        assert engagement.status.value == "proposed" and engagement.closer_id == claire.id

        log_in(page, "claire@example.com")
        page.goto(f"/engagements/{engagement.id}")
        assert "Mindset Mastery" in page.content() and "Open with their goal." in page.content()
        with page.expect_navigation():
            page.get_by_test_id("accept").click()
        db.session.commit()  # end the test's read transaction: see what the server committed
        assert db.session.get(Engagement, engagement.id).status.value == "active"
        page.goto("/dashboard")
        closer_card = page.content()
        assert "Mindset Mastery" in closer_card and "Acme Coaching" in closer_card

        log_in(page, "omar@acme.example")
        business_dashboard = page.content()
        assert "Mindset Mastery" in business_dashboard and "Claire Martin" in business_dashboard
        assert page.js_errors == []
