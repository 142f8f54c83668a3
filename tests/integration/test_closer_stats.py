"""A closer's track record from their appointments: ``closer_stats``, the profile page, the API and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia, Channel
from closerhub.closers.stats import CloserStats
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.leads.models import Lead
from closerhub.outcomes.track_record import closer_stats, closers_stats
from tests.conftest import UserFactory
from tests.integration.test_engagements import make_offer
from tests.integration.test_search_and_profile_links import make_searchable

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def add_calls(business_user: User, closer: User, statuses: list[AppointmentStatus]) -> None:
    """Past calls of ``closer`` for the business, one a day going back, with the given statuses.

    Rows are written directly: how a call became completed or a no-show is the booking and
    outcome features' business; the track record only reads the result.
    """
    offer = make_offer(business_user)
    proposal = engagements.propose(
        db.session, business_user, engagements.Proposal(closer.id, offer.id, 1500), now=clock.utcnow()
    )
    engagement = engagements.accept(db.session, closer, proposal.id, now=clock.utcnow())
    lead = Lead(
        business_id=business_user.business_id,
        name="Paula Prospect",
        email=f"paula{closer.id}@example.com",
        timezone="America/New_York",
        created_at=NOW,
        updated_at=NOW,
    )
    db.session.add(lead)
    db.session.flush()
    for day, status in enumerate(statuses, start=1):
        start = NOW - timedelta(days=day)
        db.session.add(
            Appointment(
                uid=f"stats-{closer.id}-{day}@closerhub.test",
                business_id=business_user.business_id,
                offer_id=offer.id,
                engagement_id=engagement.id,
                closer_id=closer.id,
                lead_id=lead.id,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                blocked_until=start + timedelta(hours=1),
                status=status,
                channel=Channel.VIDEO,
                meeting_url=f"https://meet.example/{closer.id}-{day}",
                prospect_timezone="America/New_York",
                answers=[],
                booked_via=BookedVia.BUSINESS,
                cancelled_at=start - timedelta(days=1) if status == AppointmentStatus.CANCELLED else None,
                created_at=start - timedelta(days=2),
                updated_at=start,
            )
        )
    db.session.commit()


@pytest.fixture
def veteran(make_user: UserFactory, business_user: User) -> User:
    """A closer with 3 completed calls, 1 no-show, 1 cancelled and 1 still booked."""
    closer = make_user("closer", name="Vera Veteran")
    S = AppointmentStatus
    add_calls(business_user, closer, [S.COMPLETED, S.NO_SHOW, S.COMPLETED, S.CANCELLED, S.COMPLETED, S.BOOKED])
    return closer


def test_a_closer_without_calls_has_no_track_record_yet(closer: User) -> None:
    assert closer_stats(db.session, closer.id) == CloserStats(appointments=0, show_rate=None)


def test_held_and_missed_calls_count_and_cancelled_or_upcoming_ones_do_not(veteran: User) -> None:
    stats = closer_stats(db.session, veteran.id)
    assert stats.appointments == 4
    assert stats.show_rate == pytest.approx(0.75)


def test_close_rate_and_rating_stay_unknown_until_outcomes_exist(veteran: User) -> None:
    stats = closer_stats(db.session, veteran.id)
    assert stats.close_rate is None
    assert stats.rating is None


def test_only_no_shows_give_a_zero_show_rate_not_an_unknown_one(make_user: UserFactory, business_user: User) -> None:
    ghost = make_user("closer", name="Gus Ghosted")
    add_calls(business_user, ghost, [AppointmentStatus.NO_SHOW, AppointmentStatus.NO_SHOW])
    assert closer_stats(db.session, ghost.id) == CloserStats(appointments=2, show_rate=0.0)


def test_stats_of_several_closers_are_read_together_and_each_is_its_own(veteran: User, closer: User) -> None:
    stats = closers_stats(db.session, [veteran.id, closer.id])
    assert stats[veteran.id].appointments == 4
    assert stats[closer.id] == CloserStats()


def test_the_profile_page_shows_calls_and_show_rate_but_no_empty_close_rate_or_rating(
    business_client: FlaskClient, veteran: User
) -> None:
    page = business_client.get(f"/closers/{veteran.id}").get_data(as_text=True)
    assert 'data-testid="stat-appointments">4<' in page
    assert 'data-testid="stat-show-rate">75 %<' in page
    assert "stat-close-rate" not in page
    assert "stat-rating" not in page
    assert "No calls yet." not in page


def test_the_profile_page_of_a_new_closer_says_no_calls_yet(business_client: FlaskClient, closer: User) -> None:
    page = business_client.get(f"/closers/{closer.id}").get_data(as_text=True)
    assert "No calls yet." in page
    assert "stat-appointments" not in page


def test_the_api_profile_carries_the_same_stats(business_user: User, veteran: User, client: FlaskClient) -> None:
    token = client.post(
        "/api/v1/auth/token", json={"email": business_user.email, "password": "correct-horse-battery"}
    ).get_json()["token"]
    body = client.get(f"/api/v1/closers/{veteran.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["stats"] == {"appointments": 4, "show_rate": 0.75, "close_rate": None, "closer_no_shows": 0}
    assert body["rating"] is None


def test_search_results_carry_the_track_record_in_html_and_api(
    business_user: User, business_client: FlaskClient, veteran: User, client: FlaskClient
) -> None:
    make_searchable(veteran)
    with clock.frozen_at(NOW):
        page = business_client.get("/closers?available_within_days=7").get_data(as_text=True)
        token = client.post(
            "/api/v1/auth/token", json={"email": business_user.email, "password": "correct-horse-battery"}
        ).get_json()["token"]
        body = client.get(
            "/api/v1/closers?available_within_days=7", headers={"Authorization": f"Bearer {token}"}
        ).get_json()
    assert "4 calls" in page and "show rate 75 %" in page
    (item,) = [i for i in body["data"] if i["id"] == veteran.id]
    assert item["stats"] == {"appointments": 4, "show_rate": 0.75, "close_rate": None, "closer_no_shows": 0}
