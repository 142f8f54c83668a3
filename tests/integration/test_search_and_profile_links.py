"""Links from search results and profiles are built by ``url_for`` and lead where they say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask, url_for
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.closers.models import AvailabilitySummary
from closerhub.extensions import db

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def make_searchable(closer: User) -> None:
    """Give ``closer`` a summary with a free slot tomorrow, so a 7-day search finds them."""
    db.session.merge(
        AvailabilitySummary(
            closer_id=closer.id,
            next_available_at=NOW + timedelta(days=1),
            free_slots_7d=3,
            free_slots_14d=6,
            weekly_minutes=[],
            weekly_hours_mask="0" * 42,
            refreshed_at=NOW,
        )
    )
    db.session.commit()


def _hrefs(page: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page))


def test_a_search_result_links_to_the_profile_and_the_proposal_form_by_their_endpoints(
    app: Flask, business_client: FlaskClient, closer: User
) -> None:
    make_searchable(closer)
    with clock.frozen_at(NOW):
        page = business_client.get("/closers?available_within_days=7").get_data(as_text=True)
    with app.test_request_context():
        profile = url_for("closers.show", closer_id=closer.id)
        propose = url_for("engagements.new", closer_id=closer.id)
    assert {profile, propose} <= _hrefs(page)


def test_the_links_in_a_search_result_open_the_profile_and_the_proposal_form(
    business_client: FlaskClient, closer: User
) -> None:
    make_searchable(closer)
    with clock.frozen_at(NOW):
        page = business_client.get("/closers?available_within_days=7").get_data(as_text=True)
    profile_link = next(h for h in _hrefs(page) if h.startswith("/closers/"))
    propose_link = next(h for h in _hrefs(page) if "engagements/new" in h).replace("&amp;", "&")
    assert closer.name in business_client.get(profile_link).get_data(as_text=True)
    form = business_client.get(propose_link)
    assert form.status_code == 200
    assert closer.name in form.get_data(as_text=True)


def test_a_business_user_sees_propose_an_engagement_on_a_closer_profile(
    app: Flask, business_client: FlaskClient, closer: User
) -> None:
    page = business_client.get(f"/closers/{closer.id}").get_data(as_text=True)
    with app.test_request_context():
        propose = url_for("engagements.new", closer_id=closer.id)
    assert "Propose an engagement" in page
    assert propose in _hrefs(page)


def test_a_closer_viewing_a_profile_is_not_offered_to_propose_an_engagement(
    closer_client: FlaskClient, closer: User
) -> None:
    page = closer_client.get(f"/closers/{closer.id}").get_data(as_text=True)
    assert "Propose an engagement" not in page
    assert "engagements/new" not in page
