"""The top navigation per role: at most 7 top items (groups open as ``<details>`` menus, no JavaScript),
the current page marked with ``aria-current="page"``; the same items make the phone menu.

``nav_for(user, endpoint, path)`` gives the items; ``templates/_nav.html`` draws them. A page that is
not a menu entry marks the entry whose path it sits under (``/leads/12`` marks "Leads").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

MAX_TOP_ITEMS = 7


@dataclass
class NavLink:
    label: Any
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    href: str = ""
    current: bool = False


@dataclass
class NavGroup:
    label: Any
    links: list[NavLink]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


NavItem = NavLink | NavGroup


def _closer() -> list[NavItem]:
    return [
        NavLink(_l("Dashboard"), "pages.dashboard"),
        NavGroup(
            _l("Calls"),
            [NavLink(_l("My week"), "appointments.schedule"), NavLink(_l("Appointments"), "appointments.index")],
        ),
        NavGroup(
            _l("Availability"),
            [
                NavLink(_l("Hours"), "closers.availability_page"),
                NavLink(_l("Your calendars"), "calendars.index"),
                NavLink(_l("Calendar feed"), "calendar.settings"),
            ],
        ),
        NavLink(_l("Engagements"), "engagements.index"),
        NavGroup(
            _l("Money"),
            [NavLink(_l("Earnings"), "outcomes.earnings"), NavLink(_l("Payout setup"), "payouts_setup.show")],
        ),
        NavLink(_l("Analytics"), "analytics.index"),
    ]


def _business(business_id: int | None) -> list[NavItem]:
    mine = [NavLink(_l("My business"), "businesses.show", {"business_id": business_id})] if business_id else []
    return [
        NavLink(_l("Dashboard"), "pages.dashboard"),
        NavGroup(
            _l("Sales"),
            [
                NavLink(_l("Leads"), "leads.index"),
                NavLink(_l("Appointments"), "appointments.index"),
                NavLink(_l("Outcomes"), "outcomes.pending"),
            ],
        ),
        NavGroup(
            _l("Closers"),
            [NavLink(_l("Find closers"), "matching.search"), NavLink(_l("Engagements"), "engagements.index")],
        ),
        NavLink(_l("Offers"), "offers.index"),
        NavLink(_l("Analytics"), "analytics.index"),
        NavGroup(
            _l("Business"),
            [*mine, NavLink(_l("Billing"), "billing.show_billing"), NavLink(_l("Charges"), "charges.list_charges")],
        ),
    ]


def _admin() -> list[NavItem]:
    return [
        NavLink(_l("Dashboard"), "pages.dashboard"),
        NavGroup(
            _l("Queues"),
            [
                NavLink(_l("Vetting"), "admin.vetting_queue"),
                NavLink(_l("Disputes"), "outcomes.disputes"),
                NavLink(_l("Closer no-shows"), "admin.no_show_queue"),
                NavLink(_l("Money desk"), "money_desk.desk"),
                NavLink(_l("Payouts"), "admin_payouts.index"),
            ],
        ),
        NavLink(_l("Users"), "admin.index"),
        NavLink(_l("Appointments"), "appointments.index"),
        NavLink(_l("Analytics"), "analytics.index"),
        NavGroup(
            _l("Platform"),
            [
                NavLink(_l("Settings"), "admin.settings"),
                NavLink(_l("Audit trail"), "admin.audit"),
                NavLink(_l("Outbox"), "notifications.outbox"),
                NavLink(_l("Calendars"), "calendars.admin_index"),
            ],
        ),
    ]


def nav_for(user: Any, endpoint: str | None, path: str) -> list[NavItem]:
    """The role's items with their addresses, the current page's entry marked."""
    if user.is_admin:
        items = _admin()
    elif user.is_business:
        items = _business(user.business_id)
    elif user.is_closer:
        items = _closer()
    else:
        items = [NavLink(_l("Dashboard"), "pages.dashboard")]
    links = [link for item in items for link in (item.links if isinstance(item, NavGroup) else [item])]
    for link in links:
        link.href = url_for(link.endpoint, **link.values)
    exact = [link for link in links if link.endpoint == endpoint and link.href == path]
    if exact:
        exact[0].current = True
    else:  # a page under an entry's path marks that entry (the longest match)
        under = [link for link in links if len(link.href) > 1 and path.startswith(link.href.rstrip("/") + "/")]
        if under:
            max(under, key=lambda link: len(link.href)).current = True
    return items
