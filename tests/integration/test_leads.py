"""Leads through the service and the HTML pages: validation, upsert, tenancy, search, the lead's calls."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia, Channel
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.engagements import service as engagements
from closerhub.extensions import db
from closerhub.leads import cleaning as lead_cleaning
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead
from closerhub.leads.schemas import LeadIn
from tests.conftest import UserFactory, _logged_in
from tests.integration.test_engagements import make_offer

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def lead_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "name": "Paula Prospect",
        "email": "Paula@Example.com",
        "phone": "+1 212 555 0123",
        "timezone": "America/New_York",
        "language": "en",
        "needs": "Scale to 50k/month",
        "motivations": "Launch in March",
        "blockers": "Tried an agency before",
        "budget": "5k USD",
        "decision_makers": "Her partner",
        "notes": "Very warm",
        "source": "webinar",
    }
    form.update(overrides)
    return form


def lead_details(**overrides: Any) -> LeadDetails:
    """``lead_form`` as the service's command."""
    return LeadDetails(**lead_form(**overrides))


def lead_rows() -> list[tuple[Any, ...]]:
    """Every lead as stored, re-read from the database."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Lead.id, Lead.business_id, Lead.name, Lead.email, Lead.phone_e164, Lead.timezone, Lead.notes).order_by(
            Lead.id
        )
    )
    return [tuple(r) for r in rows]


def add_lead(owner: User, **overrides: Any) -> Lead:
    return leads.create_lead(db.session, owner, lead_details(**overrides), now=clock.utcnow())


def add_appointment(owner: User, closer: User, lead: Lead, start: datetime, **fields: Any) -> Appointment:
    """A call row (the booking service's rules are tested elsewhere; here only what the lead page shows)."""
    offer = make_offer(owner, name=f"Offer {uuid4().hex[:6]}")
    proposal = engagements.propose(
        db.session, owner, engagements.Proposal(closer.id, offer.id, 1500), now=clock.utcnow()
    )
    engagement = engagements.accept(db.session, closer, proposal.id, now=clock.utcnow())
    appointment = Appointment(
        uid=uuid4().hex,
        business_id=lead.business_id,
        offer_id=offer.id,
        engagement_id=engagement.id,
        closer_id=closer.id,
        lead_id=lead.id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
        channel=Channel.VIDEO,
        meeting_url="https://meet.closerhub.app/test",
        prospect_timezone=lead.timezone,
        booked_via=BookedVia.BUSINESS,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


# --- the cleaner ---------------------------------------------------------------------------


def test_clean_lead_details_normalises_email_phone_and_accepts_the_nested_api_context() -> None:
    body = LeadIn.model_validate(
        {
            "name": "  Paula   Prospect ",
            "email": "Paula@Example.COM",
            "phone": "+33 6 12 34 56 78",
            "timezone": "Europe/Paris",
            "context": {"needs": "More clients", "budget": "5k"},
        }
    )
    values = lead_cleaning.clean_lead_details(body.details())
    assert values["name"] == "Paula Prospect" and values["email"] == "paula@example.com"
    assert values["phone_e164"] == "+33612345678" and values["language"] == "en"
    assert values["needs"] == "More clients" and values["budget"] == "5k" and values["blockers"] == ""


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        (
            {"phone": "06 12 34 56 78"},
            "phone",
            "Enter the number in international format, starting with + and the country code (e.g. +33 6 12 34 56 78).",
        ),
        ({"phone": "+33 12345"}, "phone", "This is not a valid phone number; check the country code and the digits."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone; use an IANA name such as Europe/Paris."),
        ({"timezone": ""}, "timezone", "Choose the lead's time zone."),
        ({"language": "de"}, "language", "Choose en (English) or fr (French)."),
        ({"budget": "x" * 201}, "budget", "At most 200 characters."),
        ({"notes": "x" * 5001}, "notes", "At most 5000 characters."),
        ({"needs": "a\x00b"}, "needs", "Remove the control characters."),
    ],
)
def test_clean_lead_details_names_each_bad_field(overrides: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        lead_cleaning.clean_lead_details(lead_details(**overrides))
    assert caught.value.field_errors == {field: message}


def test_clean_lead_details_reports_every_bad_field_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        lead_cleaning.clean_lead_details(LeadDetails(phone="0612", language="de"))
    assert set(caught.value.field_errors) == {"name", "email", "timezone", "phone", "language"}


def test_a_partial_clean_checks_only_the_given_fields() -> None:
    notes = LeadDetails(notes=" hi ", given=frozenset({"notes"}))
    assert lead_cleaning.clean_lead_details(notes) == {"notes": "hi"}
    with pytest.raises(ValidationError) as caught:
        lead_cleaning.clean_lead_details(LeadDetails(email="nope", given=frozenset({"email"})))
    assert set(caught.value.field_errors) == {"email"}


# --- the use cases -------------------------------------------------------------------------


def test_upsert_creates_then_updates_the_lead_with_the_same_email_without_erasing_context(
    business_user: User,
) -> None:
    first = leads.upsert_lead(db.session, business_user.business_id, lead_details(), actor=business_user, now=NOW)
    db.session.commit()
    later = NOW + timedelta(days=1)
    again = leads.upsert_lead(
        db.session,
        business_user.business_id,
        LeadDetails(name="Paula P.", email="PAULA@example.com", timezone="Europe/Paris"),
        actor=None,
        now=later,
    )
    db.session.commit()
    assert again.id == first.id
    assert [(r[2], r[5], r[4], r[6]) for r in lead_rows()] == [
        ("Paula P.", "Europe/Paris", "+12125550123", "Very warm")
    ]
    assert again.updated_at == later and again.created_at == NOW and again.created_by_id == business_user.id


def test_upsert_keeps_the_leads_language_unless_one_is_given(business_user: User) -> None:
    business = business_user.business_id
    lead = leads.upsert_lead(db.session, business, lead_details(language="fr"), actor=business_user, now=NOW)
    db.session.commit()
    same = LeadDetails(name="Paula", email="paula@example.com", timezone="Europe/Paris")
    assert leads.upsert_lead(db.session, business, same, actor=None, now=NOW).language == "fr"  # not reset to en
    db.session.commit()
    in_english = dataclasses.replace(same, language="en")
    assert leads.upsert_lead(db.session, business, in_english, actor=None, now=NOW).id == lead.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).language == "en"


def test_the_same_email_in_two_businesses_is_two_leads(business_user: User, make_user: UserFactory) -> None:
    other = make_user("business")
    add_lead(business_user)
    add_lead(other)
    assert [r[1] for r in lead_rows()] == [business_user.business_id, other.business_id]


def test_creating_a_lead_with_a_known_email_is_a_conflict_on_the_email(business_user: User) -> None:
    add_lead(business_user)
    with pytest.raises(Conflict) as caught:
        add_lead(business_user, email="paula@EXAMPLE.com", name="Twin")
    assert caught.value.field_errors == {"email": "A lead with this email already exists in your business."}
    db.session.rollback()
    assert [r[2] for r in lead_rows()] == ["Paula Prospect"]


def test_a_closer_cannot_create_leads(closer: User) -> None:
    with pytest.raises(PermissionDenied):
        add_lead(closer)
    assert lead_rows() == []


def test_find_lead_is_404_for_another_business_and_for_a_closer_without_a_call(
    business_user: User, closer: User, make_user: UserFactory, admin_user: User
) -> None:
    lead = add_lead(business_user)
    outsider = make_user("business")
    for viewer in (outsider, closer, None):
        with pytest.raises(NotFound):
            leads.find_lead(db.session, lead.id, viewer)
    for bad_id in (0, -1, "1", 2**70, True):
        with pytest.raises(NotFound):
            leads.find_lead(db.session, bad_id, business_user)
    assert leads.find_lead(db.session, lead.id, admin_user).id == lead.id


def test_a_closer_sees_a_lead_they_have_a_call_with_but_cannot_edit_it(business_user: User, closer: User) -> None:
    lead = add_lead(business_user)
    add_appointment(business_user, closer, lead, NOW + timedelta(days=1))
    assert leads.find_lead(db.session, lead.id, closer).id == lead.id
    with pytest.raises(PermissionDenied):
        mine = LeadDetails(notes="mine", given=frozenset({"notes"}))
        leads.update_lead(db.session, closer, lead.id, mine, now=clock.utcnow())


def test_update_refuses_the_email_of_another_lead_and_changes_nothing(business_user: User) -> None:
    add_lead(business_user)
    other = add_lead(business_user, email="bob@example.com", name="Bob")
    before = lead_rows()
    with pytest.raises(Conflict):
        taken = LeadDetails(email="paula@example.com", given=frozenset({"email"}))
        leads.update_lead(db.session, business_user, other.id, taken, now=clock.utcnow())
    db.session.rollback()
    assert lead_rows() == before


def test_list_leads_searches_names_and_emails_newest_first_and_pages(business_user: User) -> None:
    for i in range(5):
        with clock.frozen_at(NOW + timedelta(minutes=i)):
            add_lead(business_user, name=f"Lead {i}", email=f"lead{i}@example.com")
    with clock.frozen_at(NOW + timedelta(hours=1)):
        add_lead(business_user, name="Zoé 100%_match", email="zoe@corp.example")
    page = leads.list_leads(db.session, business_user, per_page=4)
    assert [lead.name for lead in page.items] == ["Zoé 100%_match", "Lead 4", "Lead 3", "Lead 2"]
    assert (page.total, page.pages, page.has_next) == (6, 2, True)
    assert [lead.name for lead in leads.list_leads(db.session, business_user, per_page=4, page=2).items] == [
        "Lead 1",
        "Lead 0",
    ]
    assert [lead.email for lead in leads.list_leads(db.session, business_user, q="CORP").items] == ["zoe@corp.example"]
    assert [lead.name for lead in leads.list_leads(db.session, business_user, q="lead 3").items] == ["Lead 3"]
    # LIKE wildcards in the search are literal characters.
    assert [lead.name for lead in leads.list_leads(db.session, business_user, q="%_").items] == ["Zoé 100%_match"]


# --- pages ---------------------------------------------------------------------------------


def test_a_member_adds_a_lead_from_the_form_and_sees_its_page(
    business_client: FlaskClient, business_user: User
) -> None:
    form_page = business_client.get("/leads/new").get_data(as_text=True)
    assert 'list="zones"' in form_page and 'value="Europe/Paris"' in form_page  # the business's zone by default
    response = business_client.post("/leads/new", data=lead_form())
    assert response.status_code == 302
    [row] = lead_rows()
    assert row[2:6] == ("Paula Prospect", "paula@example.com", "+12125550123", "America/New_York")
    page = business_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Scale to 50k/month" in page and "Her partner" in page and "New York" in page
    listing = business_client.get("/leads").get_data(as_text=True)
    assert "Paula Prospect" in listing and "paula@example.com" in listing


def test_a_bad_form_shows_every_error_and_saves_nothing(business_client: FlaskClient) -> None:
    response = business_client.post(
        "/leads/new", data=lead_form(email="nope", phone="0612", timezone="Nowhere/City", name="")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Enter a valid email address.",
        "starting with + and the country code",
        "Unknown time zone; use an IANA name such as Europe/Paris.",
    ):
        assert message in page
    assert 'value="Nowhere/City"' in page  # the input is kept for correction
    assert lead_rows() == []


def test_a_known_email_in_the_form_is_shown_on_the_email_field(
    business_client: FlaskClient, business_user: User
) -> None:
    add_lead(business_user)
    response = business_client.post("/leads/new", data=lead_form(name="Twin"))
    assert response.status_code == 422
    assert "A lead with this email already exists in your business." in response.get_data(as_text=True)
    assert [r[2] for r in lead_rows()] == ["Paula Prospect"]


def test_editing_a_lead_clears_a_blank_optional_field(business_client: FlaskClient, business_user: User) -> None:
    lead = add_lead(business_user)
    edit_page = business_client.get(f"/leads/{lead.id}/edit").get_data(as_text=True)
    assert 'value="+12125550123"' in edit_page and "Very warm" in edit_page
    response = business_client.post(f"/leads/{lead.id}/edit", data=lead_form(phone="", notes="", name="Paula Q"))
    assert response.status_code == 302
    assert lead_rows()[0][2:7] == ("Paula Q", "paula@example.com", None, "America/New_York", "")


def test_a_bad_edit_changes_nothing(business_client: FlaskClient, business_user: User) -> None:
    lead = add_lead(business_user)
    before = lead_rows()
    response = business_client.post(f"/leads/{lead.id}/edit", data=lead_form(timezone="Paris"))
    assert response.status_code == 422 and "Unknown time zone" in response.get_data(as_text=True)
    assert lead_rows() == before


def test_another_business_lead_pages_are_404(app: Any, business_user: User, make_user: UserFactory) -> None:
    lead = add_lead(business_user)
    outsider = _logged_in(app, make_user("business"))
    assert outsider.get(f"/leads/{lead.id}").status_code == 404
    assert outsider.get(f"/leads/{lead.id}/edit").status_code == 404
    assert outsider.post(f"/leads/{lead.id}/edit", data=lead_form(name="Hijack")).status_code == 404
    assert "Paula" not in outsider.get("/leads?q=paula").get_data(as_text=True)
    assert lead_rows()[0][2] == "Paula Prospect"


def test_closers_get_403_and_anonymous_visitors_are_sent_to_log_in(
    closer_client: FlaskClient, client: FlaskClient, business_user: User
) -> None:
    lead = add_lead(business_user)
    for path in ("/leads", "/leads/new", f"/leads/{lead.id}", f"/leads/{lead.id}/edit", "/leads/import"):
        assert closer_client.get(path).status_code == 403
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_html_in_a_lead_is_escaped_on_every_page(business_client: FlaskClient, business_user: User) -> None:
    lead = add_lead(business_user, name="<script>alert(1)</script>", notes="<b>bold</b>")
    for path in (f"/leads/{lead.id}", "/leads", f"/leads/{lead.id}/edit"):
        page = business_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<b>bold</b>" not in page


def test_the_lead_page_lists_its_calls_in_the_viewer_zone_and_the_lead_zone(
    business_client: FlaskClient, business_user: User, closer: User
) -> None:
    lead = add_lead(business_user)  # America/New_York; the viewer is in Europe/Paris
    start = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)  # 16:00 in Paris, 10:00 in New York
    add_appointment(business_user, closer, lead, start)
    add_appointment(
        business_user, closer, lead, start - timedelta(days=7), status=AppointmentStatus.CANCELLED, cancelled_at=NOW
    )
    page = business_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    rows = page.split('data-testid="appointment-row"')[1:]
    assert len(rows) == 2
    assert "Tue, 2 Jun 2026, 16:00" in rows[0]  # the viewer reads Paris time, 24-hour (English in France)
    assert "Tue, 2 Jun 2026, 10:00" in rows[0]  # the lead's New York time, in the viewer's locale
    assert "Booked" in rows[0] and "Cancelled" in rows[1] and closer.name in rows[0]


def test_the_book_a_call_link_appears_only_when_booking_pages_exist(
    app: Any, business_client: FlaskClient, business_user: User
) -> None:
    lead = add_lead(business_user)
    page = business_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    if "appointments.new" in app.view_functions:
        assert f"lead_id={lead.id}" in page and "Book a call" in page
    else:
        assert "Book a call" not in page


def test_the_nav_and_the_dashboard_link_to_leads_for_business_users_only(
    business_client: FlaskClient, closer_client: FlaskClient
) -> None:
    dashboard = business_client.get("/dashboard").get_data(as_text=True)
    assert 'href="/leads"' in dashboard and 'data-testid="leads-card"' in dashboard
    assert 'href="/leads"' not in closer_client.get("/dashboard").get_data(as_text=True)


def test_the_form_refuses_a_post_without_a_csrf_token(
    business_client: FlaskClient, csrf_enabled: None, business_user: User
) -> None:
    assert business_client.post("/leads/new", data=lead_form()).status_code == 400
    assert lead_rows() == []
