"""Engagements through the HTML pages and the service: proposing, answering, ending, history, the DB guards."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Offer
from closerhub.closers.models import CloserProfile
from closerhub.core.errors import Conflict, NotFound, ValidationError
from closerhub.core.money import Money
from closerhub.engagements import proposals, service
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import UserFactory, _logged_in

# --- helpers (also used by test_api_engagements.py) ----------------------------------


def make_offer(owner: User, name: str = "High-ticket coaching", *, active: bool = True, **fields: Any) -> Offer:
    """An offer of ``owner``'s business, made by the real service."""
    data = offer_service.OfferData(
        name=name,
        price=fields.pop("price", Money(250000, "EUR")),
        description=fields.pop("description", "12-week coaching programme for founders."),
        closing_script=fields.pop("closing_script", "1. Rapport\n2. Pain\n3. Offer\n4. Close"),
        qualification_notes=fields.pop("qualification_notes", "Founders with revenue above 10k/month."),
        booking_questions=tuple(fields.pop("booking_questions", ["What is your monthly revenue?"])),
        is_active=active,
        **fields,
    )
    return offer_service.create_offer(db.session, owner, data, now=clock.utcnow())


def set_min_rate(closer: User, bps: int) -> None:
    db.session.execute(update(CloserProfile).where(CloserProfile.user_id == closer.id).values(min_rate_bps=bps))
    db.session.commit()


def engagement_rows() -> list[tuple[Any, ...]]:
    """Every engagement, re-read from the database."""
    db.session.expire_all()
    rows = db.session.execute(
        select(
            Engagement.id,
            Engagement.status,
            Engagement.commission_rate_bps,
            Engagement.closer_id,
            Engagement.offer_id,
            Engagement.accepted_at,
            Engagement.declined_at,
            Engagement.ended_at,
            Engagement.withdrawn_at,
        ).order_by(Engagement.id)
    )
    return [tuple(r) for r in rows]


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def templates_sent() -> list[tuple[str, str, str]]:
    """``(template, to, language)`` of every message, oldest first."""
    rows = db.session.execute(
        select(OutboxMessage.template, OutboxMessage.to_address, OutboxMessage.language).order_by(OutboxMessage.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def state() -> tuple[list[tuple[Any, ...]], int]:
    """What a refused request must leave unchanged: the engagements and the outbox."""
    return engagement_rows(), outbox_count()


@pytest.fixture
def offer(business_user: User) -> Offer:
    return make_offer(business_user)


def propose(owner: User, closer: User, offer: Offer, bps: int = 1500) -> Engagement:
    return service.propose(db.session, owner, service.Proposal(closer.id, offer.id, bps), now=clock.utcnow())


# --- proposing from the HTML page -------------------------------------------------------


def test_the_proposal_page_lists_the_active_offers_and_the_closers_minimum(
    business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    make_offer(business_user, "Retired offer", active=False)
    set_min_rate(closer, 1250)
    response = business_client.get(f"/engagements/new?closer_id={closer.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "High-ticket coaching" in html and "Retired offer" not in html
    assert "12.5%" in html and 'value="12.5"' in html


def test_a_business_proposes_at_12_5_percent_and_both_sides_are_emailed(
    business_client: FlaskClient, business_user: User, make_user: UserFactory, offer: Offer
) -> None:
    closer = make_user("closer", email="claude@example.com", name="Claude", language="fr")
    before = outbox_count()
    response = business_client.post(
        f"/engagements/new?closer_id={closer.id}", data={"offer_id": str(offer.id), "rate_percent": "12,5"}
    )
    assert response.status_code == 302
    engagement = db.session.scalar(select(Engagement))
    assert engagement is not None and response.location.endswith(f"/engagements/{engagement.id}")
    assert (engagement.status, engagement.commission_rate_bps) == (EngagementStatus.PROPOSED, 1250)
    assert (engagement.closer_id, engagement.offer_id, engagement.business_id) == (
        closer.id,
        offer.id,
        business_user.business_id,
    )
    assert engagement.proposed_by_id == business_user.id and engagement.proposed_at is not None
    sent = templates_sent()[before:]
    assert ("engagement_proposed", "claude@example.com", "fr") in sent
    assert ("engagement_proposed", business_user.email, "en") in sent
    closer_mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.to_address == closer.email, OutboxMessage.template == "engagement_proposed"
        )
    )
    assert f"/engagements/{engagement.id}" in closer_mail.text_body and "High-ticket coaching" in closer_mail.text_body


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("9.99", "between 10"),
        ("20.01", "between 10"),
        ("25", "between 10"),
        ("abc", "percentage"),
        ("12.345", "percentage"),
    ],
)
def test_a_rate_outside_10_to_20_percent_is_refused_and_nothing_changes(
    business_client: FlaskClient, closer: User, offer: Offer, rate: str, message: str
) -> None:
    before = state()
    response = business_client.post(
        f"/engagements/new?closer_id={closer.id}", data={"offer_id": str(offer.id), "rate_percent": rate}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert state() == before


def test_a_rate_below_the_closers_minimum_is_refused_with_the_minimum_named(
    business_client: FlaskClient, closer: User, offer: Offer
) -> None:
    set_min_rate(closer, 1600)
    before = state()
    response = business_client.post(
        f"/engagements/new?closer_id={closer.id}", data={"offer_id": str(offer.id), "rate_percent": "15"}
    )
    assert response.status_code == 422
    assert "Claire Closer accepts engagements from 16 % (1600 bps)" in response.get_data(as_text=True)
    assert state() == before


def test_another_business_offer_cannot_be_proposed(
    business_client: FlaskClient, closer: User, make_user: UserFactory
) -> None:
    rival = make_user("business", business_name="Rival Inc")
    rival_offer = make_offer(rival, "Rival secret offer")
    before = state()
    response = business_client.post(
        f"/engagements/new?closer_id={closer.id}", data={"offer_id": str(rival_offer.id), "rate_percent": "15"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is no offer with this id in your business." in html and "Rival secret offer" not in html
    assert state() == before


@pytest.mark.parametrize("who", ["unknown", "business", "admin"])
def test_the_proposal_page_is_404_for_an_id_that_is_not_a_closer(
    business_client: FlaskClient, make_user: UserFactory, offer: Offer, who: str
) -> None:
    target = 999999 if who == "unknown" else make_user(who).id
    before = state()
    assert business_client.get(f"/engagements/new?closer_id={target}").status_code == 404
    post = business_client.post(
        f"/engagements/new?closer_id={target}", data={"offer_id": str(offer.id), "rate_percent": "15"}
    )
    assert post.status_code == 404
    assert business_client.get("/engagements/new").status_code == 200  # asks for the closer (test_entry_points)
    assert state() == before


def test_the_service_refuses_a_closer_id_that_is_a_business_user(business_user: User, offer: Offer) -> None:
    before = state()
    with pytest.raises(ValidationError) as caught:
        service.propose(
            db.session, business_user, service.Proposal(business_user.id, offer.id, 1500), now=clock.utcnow()
        )
    db.session.rollback()
    assert caught.value.field_errors == {"closer_id": "There is no closer with this id."}
    assert state() == before


def test_a_closer_cannot_open_the_proposal_page(closer_client: FlaskClient, closer: User) -> None:
    assert closer_client.get(f"/engagements/new?closer_id={closer.id}").status_code == 403


def test_a_second_proposal_while_one_is_active_is_a_conflict(
    business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    first = propose(business_user, closer, offer)
    service.accept(db.session, closer, first.id, now=clock.utcnow())
    before = state()
    response = business_client.post(
        f"/engagements/new?closer_id={closer.id}", data={"offer_id": str(offer.id), "rate_percent": "18"}
    )
    assert response.status_code == 409
    assert f"already active with this closer (engagement #{first.id})" in response.get_data(as_text=True)
    assert state() == before


def test_an_inactive_offer_cannot_be_proposed(business_user: User, closer: User) -> None:
    retired = make_offer(business_user, "Retired", active=False)
    before = state()
    with pytest.raises(ValidationError, match="inactive"):
        propose(business_user, closer, retired)
    db.session.rollback()
    assert state() == before


# --- answering ------------------------------------------------------------------------


def test_the_closer_sees_the_offer_script_and_business_before_accepting(
    closer_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    html = closer_client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    for text in (
        "High-ticket coaching",
        "12-week coaching programme for founders.",
        "1. Rapport",
        "Founders with revenue above 10k/month.",
        "What is your monthly revenue?",
        "Acme Coaching",
        "€2,500.00",
        "15%",
    ):
        assert text in html, text
    assert 'data-testid="accept"' in html and 'data-testid="decline"' in html


def test_the_closer_accepts_and_both_dashboards_show_the_engagement(
    app: Any, business_client: FlaskClient, closer_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    before = outbox_count()
    response = closer_client.post(f"/engagements/{engagement.id}/accept")
    assert response.status_code == 302
    db.session.expire_all()
    engagement = db.session.get(Engagement, engagement.id)
    assert engagement.status == EngagementStatus.ACTIVE and engagement.accepted_at is not None
    assert {(t, to) for t, to, _ in templates_sent()[before:]} == {
        ("engagement_accepted", closer.email),
        ("engagement_accepted", business_user.email),
    }
    for client, other_side in ((business_client, "Claire Closer"), (closer_client, "Acme Coaching")):
        html = client.get("/dashboard").get_data(as_text=True)
        card = html.split('data-testid="engagements-card"', 1)[1].split("</section>", 1)[0]
        assert "High-ticket coaching" in card and other_side in card and "Active" in card
        assert f"/engagements/{engagement.id}" in card
    assert "Claire Closer" in business_client.get("/engagements").get_data(as_text=True)


def test_another_closer_cannot_see_or_accept_the_proposal(
    app: Any, business_user: User, closer: User, offer: Offer, make_user: UserFactory
) -> None:
    engagement = propose(business_user, closer, offer)
    intruder = make_user("closer", name="Ivan Intruder")
    client = _logged_in(app, intruder)
    before = state()
    assert client.get(f"/engagements/{engagement.id}").status_code == 404
    assert client.post(f"/engagements/{engagement.id}/accept").status_code == 404
    with pytest.raises(NotFound):
        service.accept(db.session, intruder, engagement.id, now=clock.utcnow())
    db.session.rollback()
    assert state() == before


def test_the_business_cannot_accept_its_own_proposal(
    business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    before = state()
    assert business_client.post(f"/engagements/{engagement.id}/accept").status_code == 403
    assert business_client.post(f"/engagements/{engagement.id}/decline", data={"reason": "no"}).status_code == 403
    assert state() == before


def test_declining_needs_a_reason_and_changes_nothing_without_one(
    closer_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    before = state()
    for reason in ("", "   "):
        response = closer_client.post(f"/engagements/{engagement.id}/decline", data={"reason": reason})
        assert response.status_code == 422
        assert "Say why you decline" in response.get_data(as_text=True)
    assert state() == before


def test_the_closer_declines_with_a_reason_the_business_reads(
    closer_client: FlaskClient, business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    response = closer_client.post(f"/engagements/{engagement.id}/decline", data={"reason": "I only close SaaS offers."})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Engagement, engagement.id)
    assert row.status == EngagementStatus.DECLINED and row.decline_reason == "I only close SaaS offers."
    assert row.declined_at is not None
    mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.to_address == business_user.email, OutboxMessage.template == "engagement_declined"
        )
    )
    assert mail is not None and "I only close SaaS offers." in mail.text_body
    assert "I only close SaaS offers." in business_client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert closer_client.post(f"/engagements/{engagement.id}/accept").status_code == 409
    assert db.session.get(Engagement, engagement.id).status == EngagementStatus.DECLINED


def test_the_business_withdraws_a_proposal_but_not_an_active_engagement(
    business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    assert business_client.post(f"/engagements/{engagement.id}/withdraw").status_code == 302
    db.session.expire_all()
    row = db.session.get(Engagement, engagement.id)
    assert row.status == EngagementStatus.WITHDRAWN and row.withdrawn_by_id == business_user.id
    assert ("engagement_withdrawn", "closer@example.com", "en") in templates_sent()
    second = propose(business_user, closer, offer)
    service.accept(db.session, closer, second.id, now=clock.utcnow())
    before = state()
    assert business_client.post(f"/engagements/{second.id}/withdraw").status_code == 409
    assert state() == before


@pytest.mark.parametrize("side", ["closer", "business"])
def test_either_side_ends_an_active_engagement_with_an_optional_reason(
    closer_client: FlaskClient,
    business_client: FlaskClient,
    business_user: User,
    closer: User,
    offer: Offer,
    side: str,
) -> None:
    engagement = propose(business_user, closer, offer)
    service.accept(db.session, closer, engagement.id, now=clock.utcnow())
    client, actor = (closer_client, closer) if side == "closer" else (business_client, business_user)
    reason = "Fully booked this quarter." if side == "closer" else ""
    response = client.post(f"/engagements/{engagement.id}/end", data={"reason": reason})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Engagement, engagement.id)
    assert row.status == EngagementStatus.ENDED and row.ended_by_id == actor.id and row.ended_at is not None
    assert row.end_reason == (reason or None)
    assert {to for t, to, _ in templates_sent() if t == "engagement_ended"} == {closer.email, business_user.email}


def test_a_proposal_cannot_be_ended_only_withdrawn_or_declined(
    closer_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    engagement = propose(business_user, closer, offer)
    before = state()
    response = closer_client.post(f"/engagements/{engagement.id}/end", data={"reason": ""})
    assert response.status_code == 409
    assert "cannot be ended" in response.get_data(as_text=True)
    assert state() == before


def test_strangers_get_404_and_admins_can_read(
    app: Any, admin_client: FlaskClient, business_user: User, closer: User, offer: Offer, make_user: UserFactory
) -> None:
    engagement = propose(business_user, closer, offer)
    rival = _logged_in(app, make_user("business", business_name="Rival Inc"))
    assert rival.get(f"/engagements/{engagement.id}").status_code == 404
    assert rival.post(f"/engagements/{engagement.id}/withdraw").status_code == 404
    assert "High-ticket coaching" not in rival.get("/engagements?status=all").get_data(as_text=True)
    assert admin_client.get(f"/engagements/{engagement.id}").status_code == 200
    assert db.session.get(Engagement, engagement.id).status == EngagementStatus.PROPOSED


def test_a_team_member_sees_and_manages_the_business_engagements(
    app: Any, business_user: User, closer: User, offer: Offer
) -> None:
    from tests.integration.test_team import add_member

    member = add_member(business_user, "mia@acme.example", "Mia Member")
    engagement = propose(business_user, closer, offer)
    client = _logged_in(app, member)
    assert client.get(f"/engagements/{engagement.id}").status_code == 200
    assert client.post(f"/engagements/{engagement.id}/withdraw").status_code == 302
    assert db.session.get(Engagement, engagement.id).withdrawn_by_id == member.id


def test_actions_need_the_csrf_token_the_page_carries(
    closer_client: FlaskClient, business_user: User, closer: User, offer: Offer, csrf_enabled: None
) -> None:
    engagement = propose(business_user, closer, offer)
    before = state()
    assert closer_client.post(f"/engagements/{engagement.id}/accept").status_code == 400
    assert state() == before
    html = closer_client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token is not None
    response = closer_client.post(f"/engagements/{engagement.id}/accept", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert db.session.get(Engagement, engagement.id).status == EngagementStatus.ACTIVE


# --- rate changes and history ----------------------------------------------------------------


def test_a_rate_change_is_a_new_engagement_and_history_is_kept(
    business_client: FlaskClient, closer_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    first = propose(business_user, closer, offer, 1500)
    service.accept(db.session, closer, first.id, now=clock.utcnow())
    response = business_client.post(f"/engagements/{first.id}/rate", data={"rate_percent": "17.5"})
    assert response.status_code == 302
    rows = engagement_rows()
    assert [(r[1], r[2]) for r in rows] == [(EngagementStatus.ENDED, 1500), (EngagementStatus.PROPOSED, 1750)]
    second = db.session.get(Engagement, rows[1][0])
    assert second.previous_id == first.id and response.location.endswith(f"/engagements/{second.id}")
    old = db.session.get(Engagement, first.id)
    assert old.ended_by_id == business_user.id and "17.5 %" in (old.end_reason or "")
    html = closer_client.get(f"/engagements/{second.id}").get_data(as_text=True)
    assert 'data-testid="history"' in html and "15%" in html and "17.5%" in html
    service.accept(db.session, closer, second.id, now=clock.utcnow())
    assert [r[1] for r in engagement_rows()] == [EngagementStatus.ENDED, EngagementStatus.ACTIVE]


def test_a_new_rate_below_the_minimum_changes_nothing(
    business_client: FlaskClient, business_user: User, closer: User, offer: Offer
) -> None:
    first = propose(business_user, closer, offer, 1500)
    service.accept(db.session, closer, first.id, now=clock.utcnow())
    set_min_rate(closer, 1400)
    before = state()
    response = business_client.post(f"/engagements/{first.id}/rate", data={"rate_percent": "12"})
    assert response.status_code == 422 and "accepts engagements from 14 %" in response.get_data(as_text=True)
    assert state() == before


# --- the booking gate ---------------------------------------------------------------------------


def test_only_an_active_engagement_of_the_business_allows_booking(
    business_user: User, closer: User, offer: Offer, make_user: UserFactory
) -> None:
    engagement = propose(business_user, closer, offer)
    with pytest.raises(Conflict) as proposed:
        service.require_active_engagement(db.session, engagement.id, business_user.business_id)
    assert proposed.value.code == "engagement_not_active"
    service.accept(db.session, closer, engagement.id, now=clock.utcnow())
    found = service.require_active_engagement(db.session, engagement.id, business_user.business_id, lock=True)
    assert found.id == engagement.id
    rival = make_user("business", business_name="Rival Inc")
    for engagement_id, business_id in ((engagement.id, rival.business_id), (999999, business_user.business_id)):
        with pytest.raises(NotFound):
            service.require_active_engagement(db.session, engagement_id, business_id)
    offer.is_active = False
    db.session.commit()
    with pytest.raises(Conflict) as inactive:
        service.require_active_engagement(db.session, engagement.id, business_user.business_id)
    assert inactive.value.code == "offer_inactive"


# --- the database's own guards --------------------------------------------------------------


def _raw_engagement(offer: Offer, closer: User, bps: int, status: str) -> dict[str, Any]:
    return {
        "business_id": offer.business_id,
        "offer_id": offer.id,
        "closer_id": closer.id,
        "commission_rate_bps": bps,
        "status": status,
        "proposed_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        "accepted_at": datetime(2026, 1, 5, 10, 0, tzinfo=UTC) if status == "active" else None,
    }


@pytest.mark.parametrize("bps", [2500, 999, 2001, 0])
def test_the_database_check_refuses_a_raw_rate_outside_10_to_20_percent(
    business_user: User, closer: User, offer: Offer, bps: int
) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Engagement.__table__).values(**_raw_engagement(offer, closer, bps, "proposed")))
    db.session.rollback()
    assert engagement_rows() == []


def test_the_partial_unique_index_refuses_a_second_open_engagement_at_the_database_level(
    business_user: User, closer: User, offer: Offer
) -> None:
    table = Engagement.__table__
    db.session.execute(insert(table).values(**_raw_engagement(offer, closer, 1500, "active")))
    db.session.commit()
    for status in ("active", "proposed"):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(table).values(**_raw_engagement(offer, closer, 1600, status)))
        db.session.rollback()
    # Closed ones are history: any number of them may sit beside the open one.
    for status in ("ended", "withdrawn"):
        db.session.execute(insert(table).values(**_raw_engagement(offer, closer, 1200, status)))
    db.session.commit()
    assert [r[1] for r in engagement_rows()] == [
        EngagementStatus.ACTIVE,
        EngagementStatus.ENDED,
        EngagementStatus.WITHDRAWN,
    ]


def test_a_concurrent_duplicate_proposal_is_settled_by_the_index_as_a_conflict(
    business_user: User, closer: User, offer: Offer
) -> None:
    """The service's check cannot see a row another transaction is about to commit: the index can."""
    db.session.execute(insert(Engagement.__table__).values(**_raw_engagement(offer, closer, 1500, "proposed")))
    db.session.commit()
    original = proposals._open_engagement
    proposals._open_engagement = lambda *args: None  # type: ignore[assignment]  (the race: the check saw nothing)
    try:
        with pytest.raises(Conflict) as caught:
            propose(business_user, closer, offer, 1600)
    finally:
        proposals._open_engagement = original  # type: ignore[assignment]
    assert caught.value.code == "engagement_exists"
    assert [r[2] for r in engagement_rows()] == [1500]


def test_every_transition_is_timestamped_with_the_clock(business_user: User, closer: User, offer: Offer) -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    t1 = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
    t2 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with clock.frozen_at(t0):
        engagement = propose(business_user, closer, offer)
    with clock.frozen_at(t1):
        service.accept(db.session, closer, engagement.id, now=clock.utcnow())
    with clock.frozen_at(t2):
        service.end(db.session, closer, engagement.id, "Moving on", now=clock.utcnow())
    db.session.expire_all()
    row = db.session.get(Engagement, engagement.id)
    assert (row.proposed_at, row.accepted_at, row.ended_at) == (t0, t1, t2)
    assert row.end_reason == "Moving on" and row.ended_by_id == closer.id
