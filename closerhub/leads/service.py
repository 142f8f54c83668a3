"""Lead use cases: the prospects a business hands to its closers, with the context for the call.

A lead belongs to one business and is unique per (business, email): adding, importing or
booking again with a known email updates that lead instead of creating a twin. The HTML
forms, the CSV import, the JSON API and the booking service all give a ``LeadDetails``
command, cleaned by ``clean_lead_details``, so every path accepts and refuses the same input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app
from sqlalchemy import Select, Table, TextualSelect, bindparam, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.core.errors import Conflict, PermissionDenied
from closerhub.core.i18n import _
from closerhub.leads.cleaning import PER_PAGE_MAX, SEARCH_MAX, clean_lead_details
from closerhub.leads.commands import CONTEXT_FIELDS, LeadDetails
from closerhub.leads.models import Lead
from closerhub.webhooks.service import emit

if TYPE_CHECKING:
    from closerhub.businesses.models import Business
    from closerhub.leads.csv_import import ImportReport

# --- use cases ----------------------------------------------------------------------------


def _member_business_id(actor: User) -> int:
    if actor.business_id is None:
        raise PermissionDenied(_("Only members of a business can manage its leads."))
    return actor.business_id


def _lead_by_email(session: Session, business_id: int, email: str) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.business_id == business_id, Lead.email == email))


#: A lead's cleaned columns, as ``clean_lead_details`` returns them.
LeadValues = dict[str, str | None]


def _apply(lead: Lead, values: LeadValues, now: datetime) -> None:
    for key, value in values.items():
        setattr(lead, key, value)
    lead.updated_at = now


def _merge_values(details: LeadDetails, values: LeadValues) -> LeadValues:
    """What an upsert overwrites on a known lead: the identity (name, zone) always, and the
    optional fields only when given, so a prospect re-booking without a phone or context
    does not erase what the setter wrote."""
    keep = {"name", "email", "timezone"}
    if details.language_given:
        keep.add("language")
    # language always has a value once cleaned (the default "en"): kept only when given.
    return {k: v for k, v in values.items() if k in keep or (k != "language" and v not in (None, ""))}


def given_values(details: LeadDetails, values: LeadValues) -> LeadValues:
    """What a caller actually sent, cleaned: name, email and zone, the optional fields only when
    not blank, the language only when given (its cleaned default is not something they said).
    A public booking keeps this on the appointment as "the prospect said"."""
    return {k: v for k, v in _merge_values(details, values).items() if k != "source"}


def _new_lead_values(business_id: int, values: LeadValues, actor: User | None, now: datetime) -> dict[str, object]:
    """Every column of a new lead: the cleaned ``values`` over blank defaults."""
    return {
        "business_id": business_id,
        "created_at": now,
        "created_by_id": actor.id if actor is not None else None,
        "phone_e164": None,
        "language": "en",
        "sms_consent_at": None,  # given on the booking page only (``booking.consents``)
        "sms_consent_text": None,
        "sms_consent_phone": None,
        **{k: "" for k in (*CONTEXT_FIELDS, "source")},
        **values,
        "updated_at": now,
    }


def new_lead(business_id: int, values: LeadValues, *, actor: User | None, now: datetime) -> Lead:
    """A new, unsaved lead from cleaned values (blank defaults for what they leave out)."""
    return Lead(**_new_lead_values(business_id, values, actor, now))


def merge_into(lead: Lead, details: LeadDetails, values: LeadValues, now: datetime) -> None:
    """Update a known lead from an upsert's input (see ``_merge_values``: blanks erase nothing)."""
    _apply(lead, _merge_values(details, values), now)


def upsert_lead(
    session: Session,
    business_id: int,
    details: LeadDetails,
    *,
    actor: User | None,
    now: datetime,
    values: LeadValues | None = None,
    keep_existing: bool = False,
) -> Lead:
    """Create the business's lead with this email, or update the one it has. Never commits.

    The caller (booking, the API) commits once. On a known lead the name and zone are
    replaced and the optional fields only when given (``_merge_values``); with
    ``keep_existing`` (a public booking: the caller only knows an email) a known lead is
    returned untouched and only a new one takes the given values. One
    ``INSERT … ON CONFLICT (business_id, email) DO UPDATE … RETURNING`` statement on both
    PostgreSQL and SQLite: a concurrent insert of the same email waits for the other
    transaction and then updates its row, so no read-then-insert race and no savepoint.
    ``values``: the output of ``clean_lead_details(details)`` when the caller already has it.
    """
    if values is None:
        values = clean_lead_details(details)
    inserted = _new_lead_values(business_id, values, actor, now)
    # ``email = excluded.email`` rewrites the key with itself: the row is locked and returned, unchanged.
    changed = ("email",) if keep_existing else (*_merge_values(details, values), "updated_at")
    return session.scalars(_upsert_lead(frozenset(changed)), inserted).one()


@functools.lru_cache(maxsize=256)
def _upsert_lead(changed: frozenset[str]) -> ExecutableReturnsRows:
    """``_upsert_statement`` loading its row as the ``Lead`` (refreshed if already in the session).
    Built once per set of updated columns: a new statement object computes its cache key again (≈ 0.3 ms)."""
    return select(Lead).from_statement(_upsert_statement(changed)).execution_options(populate_existing=True)


def _upsert_statement(changed: frozenset[str]) -> TextualSelect:
    """``INSERT INTO leads … ON CONFLICT (business_id, email) DO UPDATE SET <changed> = excluded.<changed>
    RETURNING *`` with every column a typed bound parameter, built once per set of updated columns.

    Written as SQL text, which both PostgreSQL and SQLite (3.35+) accept as is: SQLAlchemy's
    dialect ``insert(...).on_conflict_do_update`` constructs have no cache key, so they were
    compiled again on every booking (≈ 1 ms of CPU); a textual statement is compiled once.
    """
    table = cast(Table, Lead.__table__)
    if not changed <= set(table.columns.keys()):  # identifiers come from the table only, never from input
        raise ValueError(f"not columns of {table.name}: {sorted(changed - set(table.columns.keys()))}")
    inserted = [c for c in table.columns if c.key != "id"]
    names = ", ".join(f'"{c.name}"' for c in inserted)
    params = ", ".join(f":{c.key}" for c in inserted)
    updates = ", ".join(f'"{k}" = excluded."{k}"' for k in sorted(changed))
    returned = ", ".join(f'"{c.name}"' for c in table.columns)
    # Every identifier is one of the table's columns (checked above); every value is bound.
    sql = (
        f"INSERT INTO {table.name} ({names}) VALUES ({params}) "  # noqa: S608
        f"ON CONFLICT (business_id, email) DO UPDATE SET {updates} RETURNING {returned}"
    )
    return text(sql).bindparams(*(bindparam(c.key, type_=c.type) for c in inserted)).columns(*table.columns)


def create_lead(session: Session, actor: User, details: LeadDetails, *, now: datetime) -> Lead:
    """Add a lead to the actor's business; a known email is a Conflict naming the email field."""
    business_id = _member_business_id(actor)
    values = clean_lead_details(details.full())
    if _lead_by_email(session, business_id, str(values["email"])) is not None:
        message = _("A lead with this email already exists in your business.")
        raise Conflict(message, field_errors={"email": message}, code="lead_exists")
    lead = upsert_lead(session, business_id, details, actor=actor, now=now, values=values)
    emit(session, business_id, "lead.created", lead, now=now)
    session.commit()
    return lead


def find_lead(session: Session, lead_id: int, viewer: User | None) -> Lead:
    """A lead ``viewer`` may see (its business's team, admins, a closer with a call with it);
    NotFound (404) for a missing one and for another tenant's."""
    return find_visible(Lead, lead_id, viewer, session)


def can_edit_lead(lead: Lead, user: User | None) -> bool:
    """Members of the lead's business (closers read a lead, they do not edit it)."""
    return user is not None and user.business_id is not None and user.business_id == lead.business_id


def update_lead(session: Session, actor: User, lead_id: int, details: LeadDetails, *, now: datetime) -> Lead:
    """Change a lead's fields (members of its business); all or nothing.

    With ``details.given`` (PATCH) only the given fields change; otherwise the form's full set
    replaces them (a blank optional field is cleared).
    """
    lead = find_lead(session, lead_id, actor)
    if not can_edit_lead(lead, actor):
        raise PermissionDenied(_("Only members of the business can change its leads."))
    values = clean_lead_details(details)
    email = values.get("email")
    if email is not None and email != lead.email:
        other = _lead_by_email(session, lead.business_id, email)
        if other is not None:
            message = _("Another lead of your business already has this email.")
            raise Conflict(message, field_errors={"email": message}, code="lead_exists")
    _apply(lead, values, now)
    session.commit()
    return lead


def _search_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def leads_query(viewer: User, *, q: str | None = None) -> Select[tuple[Lead]]:
    """The leads ``viewer`` may list (their business's; admins: all), matching ``q`` in name or
    email (case-insensitive), newest first."""
    stmt = select(Lead)
    if not viewer.is_admin:
        stmt = stmt.where(Lead.business_id == (viewer.business_id or -1))
    q = " ".join((q or "").split())[:SEARCH_MAX]
    if q:
        pattern = _search_pattern(q)
        stmt = stmt.where(
            or_(func.lower(Lead.name).like(pattern, escape="\\"), func.lower(Lead.email).like(pattern, escape="\\"))
        )
    return stmt.order_by(Lead.created_at.desc(), Lead.id.desc())


@dataclass(frozen=True)
class LeadPage:
    """One page of a lead list."""

    items: list[Lead]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_leads(session: Session, viewer: User, *, q: str | None = None, page: int = 1, per_page: int = 50) -> LeadPage:
    """A page of the viewer's leads, newest first, optionally searched by name or email."""
    if viewer.business_id is None and not viewer.is_admin:
        raise PermissionDenied(_("Only members of a business can list its leads."))
    per_page = min(max(per_page, 1), PER_PAGE_MAX)
    page = max(page, 1)
    stmt = leads_query(viewer, q=q)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return LeadPage(items=items, page=page, per_page=per_page, total=total)


_LEAD_CALLS = "closerhub.leads.calls"


def set_lead_calls(app: Flask, read: Callable[[Session, Lead, User], list[Any]]) -> None:
    """How a lead's page reads its calls (``booking.lookup.lead_appointments``, given by the app
    factory: booking sits above leads)."""
    app.extensions[_LEAD_CALLS] = read


def lead_calls(session: Session, lead: Lead, viewer: User) -> list[Any]:
    """The lead's calls that ``viewer`` may see, newest first."""
    read: Callable[[Session, Lead, User], list[Any]] = current_app.extensions[_LEAD_CALLS]
    return read(session, lead, viewer)


def import_csv(session: Session, business: Business, data: bytes, *, actor: User | None, now: datetime) -> ImportReport:
    """Import leads from CSV bytes into ``business`` (good rows saved, bad rows reported with their
    line and a message per column); commits once. See ``lead_import`` for the accepted shapes."""
    from closerhub.leads.csv_import import import_csv as _import_csv  # it imports this module

    return _import_csv(session, business, data, actor=actor, now=now)
