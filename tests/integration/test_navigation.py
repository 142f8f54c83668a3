"""The top navigation stays short per role (Dashboard, a few links, room for Analytics), and every page of a
role is at most 2 clicks from it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import _logged_in

NAV = re.compile(r'<nav class="nav"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="(/[^"#?]*)')


def nav_links(html: str) -> list[str]:
    """The role's top links (Account and Log out are the account menu, not pages of the role)."""
    (nav,) = NAV.findall(html)
    return [h for h in HREF.findall(nav) if h != "/account"]


def within_two_clicks(client: FlaskClient) -> set[str]:
    """Every same-site path linked from the nav (1 click) or from a page the nav opens (2 clicks)."""
    first = nav_links(client.get("/dashboard").get_data(as_text=True))
    seen = set(first)
    for path in first:
        response = client.get(path)
        if response.status_code == 200:
            seen.update(HREF.findall(response.get_data(as_text=True)))
    return seen


@pytest.fixture
def clients(app: Flask, make_user: Any) -> dict[str, Any]:
    users = {
        "closer": make_user("closer", email="nav-closer@example.com"),
        "business": make_user("business", email="nav-business@example.com"),
        "admin": make_user("admin", email="nav-admin@example.com"),
    }
    return {role: (_logged_in(app, user), user) for role, user in users.items()}


TOP_ITEM = re.compile(r'<li class="nav-item[ "]')


@pytest.mark.parametrize("role", ["closer", "business", "admin"])
def test_the_top_navigation_fits_one_line_with_at_most_7_items_and_marks_the_current_page(
    clients: dict[str, Any], role: str
) -> None:
    client, _user = clients[role]
    page = client.get("/dashboard").get_data(as_text=True)
    (nav,) = NAV.findall(page)
    assert len(TOP_ITEM.findall(nav)) <= 7  # links and <details> groups, the account menu included
    links = nav_links(page)
    assert len(set(links)) == len(links)
    assert nav.count('aria-current="page"') == 1 and 'href="/dashboard" aria-current="page"' in nav
    for path in links:  # every menu entry opens a page (no 404), and marks itself there
        response = client.get(path)
        assert response.status_code == 200, path
        (there,) = NAV.findall(response.get_data(as_text=True))
        assert 'aria-current="page"' in there, path


def test_a_page_under_a_menu_entry_marks_that_entry(clients: dict[str, Any]) -> None:
    client, _user = clients["business"]
    (nav,) = NAV.findall(client.get("/leads/new").get_data(as_text=True))
    assert 'href="/leads" aria-current="page"' in nav
    assert '<li class="nav-item nav-group is-current">' in nav  # its group ("Sales") is marked too


def test_the_closer_reaches_every_page_of_theirs_in_two_clicks(clients: dict[str, Any]) -> None:
    client, user = clients["closer"]
    reachable = within_two_clicks(client)
    wanted = {
        "/dashboard",
        "/schedule",
        "/appointments",
        "/closers/me/availability",
        "/calendar/settings",
        "/engagements",
        "/earnings",
        "/payouts/setup",
        "/closers/me/profile",
        f"/closers/{user.id}",
        "/reviews",
    }
    assert wanted <= reachable, wanted - reachable


def test_the_business_reaches_every_page_of_theirs_in_two_clicks(clients: dict[str, Any]) -> None:
    client, user = clients["business"]
    reachable = within_two_clicks(client)
    wanted = {
        "/dashboard",
        "/closers",
        "/leads",
        "/appointments",
        "/offers",
        "/engagements",
        "/outcomes/pending",
        f"/businesses/{user.business_id}",
        "/billing",
    }
    assert wanted <= reachable, wanted - reachable


def test_the_admin_reaches_every_admin_page_in_two_clicks(clients: dict[str, Any]) -> None:
    client, _user = clients["admin"]
    reachable = within_two_clicks(client)
    wanted = {
        "/admin/users",
        "/admin/vetting",
        "/admin/audit",
        "/admin/settings",
        "/admin/disputes",
        "/admin/outbox",
        "/appointments",
    }
    assert wanted <= reachable, wanted - reachable
