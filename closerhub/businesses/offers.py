"""Offer use cases: what a business sells through closers, its call guide and its booking questions.

Every member of the business (owner or member) creates and edits its offers; admins
read them. The HTML form parses the price in the user's locale (``core.money.parse_money``)
and passes ``Money``; the API builds ``Money`` from ``{"amount", "currency"}``. Both build an
``OfferData`` (``businesses.commands``) and land here.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.accounts.service import clean_name
from closerhub.businesses.commands import DEFAULT_CALL_MINUTES as DEFAULT_CALL_MINUTES
from closerhub.businesses.commands import DEFAULT_START_INCREMENT as DEFAULT_START_INCREMENT
from closerhub.businesses.commands import OfferData
from closerhub.businesses.models import BOOKING_QUESTIONS_MAX, Business, Offer
from closerhub.businesses.service import clean_text, collect
from closerhub.core.availability import SLOT_MINUTES_RANGE, START_INCREMENTS
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import MAX_MINOR_UNITS, Money
from closerhub.db import get_by_id

DESCRIPTION_MAX = 5000
SCRIPT_MAX = 20000
NOTES_MAX = 5000
QUESTION_MAX = 200
SALES_CYCLE_MAX_DAYS = 3650
CALL_MINUTES_RANGE = SLOT_MINUTES_RANGE  # 15–240, as a closer's own slots


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def clean_price(price: Money | None) -> Money:
    if price is None:
        raise _fail("price", _("Enter the price."))
    if price.amount <= 0:
        raise _fail("price", _("The price must be above zero."))
    if price.amount > MAX_MINOR_UNITS:
        raise _fail("price", _("That price is too large."))
    return price


def clean_sales_cycle(raw: int | None) -> int | None:
    if raw is None:
        return None
    if not 0 <= raw <= SALES_CYCLE_MAX_DAYS:
        raise _fail(
            "sales_cycle_days",
            _("The sales cycle is a whole number of days from 0 to %(limit)d.", limit=SALES_CYCLE_MAX_DAYS),
        )
    return raw


def clean_call_minutes(raw: int | None) -> int:
    """The call's length: whole minutes from 15 to 240 (None: the form could not read a number)."""
    low, high = CALL_MINUTES_RANGE
    if raw is None or not low <= raw <= high:
        raise _fail("call_minutes", _("The call lasts %(low)d to %(high)d minutes.", low=low, high=high))
    return raw


def clean_start_increment(raw: int | None) -> int:
    """Minutes between the starts offered: one of 5, 10, 15, 20, 30, 60."""
    if raw is None or raw not in START_INCREMENTS:
        choices = ", ".join(str(m) for m in START_INCREMENTS)
        raise _fail("start_increment_minutes", _("Calls start every %(choices)s minutes; choose one.", choices=choices))
    return raw


def clean_booking_questions(raw: tuple[str, ...]) -> list[str]:
    """Up to 10 short, distinct, one-line questions, in the given order."""
    out: list[str] = []
    for item in raw:
        question = clean_text(item, "booking_questions", QUESTION_MAX)
        if not question:
            raise _fail("booking_questions", _("A booking question cannot be empty."))
        if question.casefold() in {q.casefold() for q in out}:
            raise _fail("booking_questions", _("The question %(question)s is listed twice.", question=repr(question)))
        out.append(question)
    if len(out) > BOOKING_QUESTIONS_MAX:
        raise _fail(
            "booking_questions",
            _(
                "Ask at most %(limit)d booking questions (you gave %(count)d).",
                limit=BOOKING_QUESTIONS_MAX,
                count=len(out),
            ),
        )
    return out


def _clean(data: OfferData) -> dict[str, object]:
    return collect(
        (
            ("name", lambda: clean_name(data.name)),
            ("price", lambda: clean_price(data.price)),
            ("description", lambda: clean_text(data.description, "description", DESCRIPTION_MAX, multiline=True)),
            ("sales_cycle_days", lambda: clean_sales_cycle(data.sales_cycle_days)),
            ("closing_script", lambda: clean_text(data.closing_script, "closing_script", SCRIPT_MAX, multiline=True)),
            (
                "qualification_notes",
                lambda: clean_text(data.qualification_notes, "qualification_notes", NOTES_MAX, multiline=True),
            ),
            ("booking_questions", lambda: clean_booking_questions(data.booking_questions)),
            ("is_active", lambda: data.is_active),
            ("calls_recorded", lambda: data.calls_recorded),
            ("call_minutes", lambda: clean_call_minutes(data.call_minutes)),
            ("start_increment_minutes", lambda: clean_start_increment(data.start_increment_minutes)),
        )
    )


def check_offer(data: OfferData) -> None:
    """Raise the ValidationError ``create_offer`` would raise for ``data``, saving nothing (forms use it
    to show every error at once)."""
    _clean(data)


def _apply(offer: Offer, values: dict[str, object]) -> None:
    price = values.pop("price")
    assert isinstance(price, Money)
    offer.price_amount, offer.price_currency = price.amount, price.currency
    for key, value in values.items():
        setattr(offer, key, value)


def new_booking_key() -> str:
    """A public, unguessable key for an offer's booking page (256 bits)."""
    return secrets.token_urlsafe(32)


def _member_business(session: Session, actor: User) -> Business:
    if actor.business_id is None:
        raise PermissionDenied(_("Only members of a business can manage offers."))
    business = session.get(Business, actor.business_id)
    assert business is not None
    return business


def create_offer(session: Session, actor: User, data: OfferData, *, now: datetime) -> Offer:
    """Add an offer to the actor's business; every field is checked first."""
    business = _member_business(session, actor)
    values = _clean(data)
    offer = Offer(business_id=business.id, booking_key=new_booking_key(), created_at=now, updated_at=now)
    _apply(offer, values)
    session.add(offer)
    session.commit()
    return offer


def find_offer(session: Session, offer_id: int, viewer: User | None) -> Offer:
    """An offer ``viewer`` may see; NotFound (404) for a missing one and for another tenant's."""
    offer = get_by_id(session, Offer, offer_id)
    if offer is None or not offer.can_view(viewer):
        raise NotFound(_("Offer not found."))
    return offer


def update_offer(session: Session, actor: User, offer_id: int, data: OfferData, *, now: datetime) -> Offer:
    """Replace an offer's fields (members of its business); all or nothing."""
    offer = find_offer(session, offer_id, actor)
    if not offer.can_edit(actor):
        raise PermissionDenied(_("Only members of the business can change its offers."))
    values = _clean(data)
    _apply(offer, values)
    offer.updated_at = now
    session.commit()
    return offer


def rotate_booking_key(session: Session, actor: User, offer_id: int, *, now: datetime) -> Offer:
    """Give the offer a new booking key: links with the old one stop working."""
    offer = find_offer(session, offer_id, actor)
    if not offer.can_edit(actor):
        raise PermissionDenied(_("Only members of the business can change its offers."))
    offer.booking_key = new_booking_key()
    offer.updated_at = now
    session.commit()
    return offer


def offers_query(viewer: User, *, active_only: bool = False) -> Select[tuple[Offer]]:
    """The offers ``viewer`` may list: their business's (admins: every business's)."""
    stmt = select(Offer)
    if not viewer.is_admin:
        stmt = stmt.where(Offer.business_id == (viewer.business_id or -1))
    if active_only:
        stmt = stmt.where(Offer.is_active.is_(True))
    return stmt


def list_offers(session: Session, viewer: User, *, active_only: bool = False) -> list[Offer]:
    """The viewer's offers, active first, then by name."""
    stmt = offers_query(viewer, active_only=active_only).order_by(Offer.is_active.desc(), Offer.name, Offer.id)
    return list(session.scalars(stmt))


def offer_for_booking_key(session: Session, key: str) -> Offer:
    """The active offer of a public booking key (for the booking page); NotFound otherwise."""
    if not 0 < len(key) <= 64:
        raise NotFound(_("Booking page not found."))
    offer = session.scalar(select(Offer).where(Offer.booking_key == key))
    if offer is None or not offer.is_active:
        raise NotFound(_("Booking page not found."))
    return offer
