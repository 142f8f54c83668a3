"""The booking page, the slot API and the reschedule picker send as many statements with 30 engaged
closers as with one: every closer's rules, etag, busy time are read in one batch, not one per closer.

Each page is requested once to warm the in-process rules cache, then counted (a cold cache
costs the same few statements for all closers at once; counted too).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import service
from closerhub.calendars import service as service_calendars
from closerhub.calendars import sync
from closerhub.closers import rules as closer_rules
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.fakes.radicale import IcsServer
from tests.integration.booking_setup import NOW, book, engage, frozen, set_hours, setting
from tests.integration.calendar_support import event, vcalendar
from tests.integration.test_api_accounts import bearer
from tests.integration.test_booking_lean_path import counted

__all__ = ["frozen", "setting"]  # fixtures

MORE_CLOSERS = 29


def engage_more(setting: dict[str, Any], make_user: UserFactory, count: int = MORE_CLOSERS) -> list[User]:
    """``count`` more closers with the same hours, engaged on the offer (some with a booked call)."""
    closers = []
    for n in range(count):
        closer = make_user("closer", email=f"closer{n}@example.com", name=f"Closer {n:02d}")
        set_hours(closer, slot_minutes=30 if n % 2 else 60)
        engage(setting["owner"], closer, setting["offer"])
        closers.append(closer)
    return closers


def statements_of(client: FlaskClient, url: str, **kwargs: Any) -> int:
    """Statements of one GET of ``url``, the rules cache warmed by a first GET; the page must answer 200."""
    assert client.get(url, **kwargs).status_code == 200
    with counted() as seen:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(seen)


def cold_statements_of(client: FlaskClient, url: str) -> int:
    """Statements of one GET of ``url`` with the rules cache emptied (every closer's rows read)."""
    closer_rules._RULES_CACHE.clear()
    with counted() as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_the_booking_page_sends_as_many_statements_with_thirty_closers_as_with_one(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    url = f"/book/{setting['offer'].booking_key}?tz=America/New_York&hours=all"
    book(setting["offer"])  # a booked call: busy time to read
    one, one_cold = statements_of(client, url), cold_statements_of(client, url)
    engage_more(setting, make_user)
    page = client.get(url).get_data(as_text=True)
    assert "Closer 28" in page  # the closer picker lists the 30 closers
    assert statements_of(client, url) == one
    assert cold_statements_of(client, url) == one_cold


def test_the_confirm_step_sends_as_many_statements_with_thirty_closers_as_with_one(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    url = f"/book/{setting['offer'].booking_key}/confirm?start=2026-06-02T07:00:00Z&tz=America/New_York"
    one = statements_of(client, url)
    engage_more(setting, make_user)
    assert statements_of(client, url) == one


def test_the_slot_api_sends_as_many_statements_with_thirty_closers_on_the_offer_as_with_one(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    url = f"/api/v1/closers/{setting['closer'].id}/slots?from=2026-06-01&to=2026-06-07&timezone=America/New_York"
    headers = bearer(setting["owner"])
    one = statements_of(client, url, headers=headers)
    engage_more(setting, make_user)
    assert statements_of(client, url, headers=headers) == one


def test_the_reschedule_picker_sends_as_many_statements_with_thirty_closers_on_the_offer_as_with_one(
    client: FlaskClient, setting: dict[str, Any], make_user: UserFactory
) -> None:
    url = f"/appointments/manage/{service.manage_token(book(setting['offer']))}"
    one = statements_of(client, url)
    engage_more(setting, make_user)
    page = client.get(url).get_data(as_text=True)
    assert 'value="2026-06-02T08:00:00Z"' in page  # the picker still shows the closer's slots
    assert statements_of(client, url) == one


def test_busy_time_read_for_many_closers_at_once_is_what_each_closer_reads_alone(
    setting: dict[str, Any], make_user: UserFactory, ics_server: IcsServer
) -> None:
    first: User = setting["closer"]
    second, third = engage_more(setting, make_user, count=2)
    book(setting["offer"])  # a call for one of them at Tuesday 09:00 Paris
    ics_server.body = vcalendar(event("busy", "DTSTART:20260602T100000Z", "DTEND:20260602T110000Z")).encode()
    for closer in (second, third):  # both read the feed; the third's stops answering and fails closed
        connection = service_calendars.add_connection(
            db.session, closer, service_calendars.NewConnection(kind="ics", url=ics_server.url), now=NOW
        )
        sync.sync_connection(db.session, connection.id, NOW)
    ics_server.answering = False
    late = NOW + timedelta(minutes=95)
    with clock.frozen_at(late):
        sync.sync_connection(db.session, connection.id, NOW + timedelta(minutes=30))
        sync.sync_connection(db.session, connection.id, late)
        windows = {
            first.id: (NOW, NOW + timedelta(days=3)),
            second.id: (NOW - timedelta(days=1), NOW + timedelta(days=2)),
            third.id: (NOW + timedelta(days=1), NOW + timedelta(days=4)),
        }
        with counted() as seen:
            together = closer_rules.busy_intervals_many(db.session, windows, now=clock.utcnow())
        alone = {i: closer_rules.busy_intervals(db.session, i, *w, now=clock.utcnow()) for i, w in windows.items()}
    assert len(seen) == 1
    assert together == alone
    assert len(together[first.id]) == 1 and not together[first.id][0].external  # the booked call
    assert [b.external for b in together[second.id]] == [True]  # the feed's event
    assert closer_rules.Busy(*windows[third.id], external=True) in together[third.id]  # failed closed: all busy
