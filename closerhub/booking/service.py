"""Booking use cases: find slots, book a call, reschedule or cancel it, read appointments.

The booking page, the business and closer dashboards and the JSON API all call these.
``book`` takes the write lock first (SQLite), checks the closer's rules and busy time,
routes the call, inserts it, and lets the database have the last word on overlaps
(``guard``): a slot taken meanwhile is a ``SlotUnavailable`` with the 3 nearest free
slots, never an error page. Reschedule and cancel live in ``changes``, reading and the
signed manage links in ``lookup``, slot search in ``slots``; all are re-exported here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from closerhub.accounts.models import Role, User
from closerhub.booking import guard, routing, write
from closerhub.booking import guests as guest_rules
from closerhub.booking.changes.service import cancel, reschedule
from closerhub.booking.closer_facts import CloserFacts, _engagements
from closerhub.booking.commands import BookingRequest, nested_in
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.lookup import appointment_for_token, find_appointment, list_appointments, manage_token
from closerhub.booking.meetings import _meeting
from closerhub.booking.models import Appointment, AppointmentStatus, BookedVia, Channel
from closerhub.booking.slots import (
    OfferSlot,
    bookable_engagements,
    closer_alternatives,
    closer_slots,
    free_slot_at,
    offer_alternatives,
    offer_slots,
    start_refusal,
)
from closerhub.businesses import offers as offer_service
from closerhub.businesses.models import Offer
from closerhub.closers.rules import rules_for_many
from closerhub.core.availability import AvailabilityRules
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.slots import Busy
from closerhub.core.tz import require_aware
from closerhub.engagements.models import Engagement
from closerhub.leads import cleaning as lead_cleaning
from closerhub.leads import service as leads
from closerhub.leads.commands import LeadDetails
from closerhub.leads.models import Lead

__all__ = [
    "BookingRequest",
    "OfferSlot",
    "SlotUnavailable",
    "appointment_for_token",
    "book",
    "bookable_engagements",
    "cancel",
    "closer_slots",
    "find_appointment",
    "list_appointments",
    "manage_token",
    "offer_for_booking_key",
    "offer_slots",
    "reschedule",
]

ANSWER_MAX = 2000
_LABEL_OF_VIA = {BookedVia.BOOKING_PAGE: "prospect", BookedVia.BUSINESS: "business", BookedVia.CLOSER: "closer"}


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def offer_for_booking_key(session: Session, key: str) -> Offer:
    """The active offer behind a public booking key; NotFound when unknown or the offer is inactive."""
    return offer_service.offer_for_booking_key(session, key)


# --- booking -----------------------------------------------------------------------------


def _clean_channel(channel: str) -> Channel:
    try:
        return Channel(str(channel))
    except ValueError:
        raise _fail("channel", _("Choose phone or video.")) from None


def _clean_answers(offer: Offer, answers: Mapping[str, str] | None) -> list[dict[str, str]]:
    """The booking-page answers in the offer's question order (unknown questions are refused)."""
    questions = list(offer.booking_questions or [])
    given = dict(answers or {})
    unknown = [q for q in given if q not in questions]
    if unknown:
        raise _fail("answers", _("Unknown question: %(question)s.", question=repr(unknown[0])))
    out = []
    for question in questions:
        answer = given.get(question) or ""
        if not isinstance(answer, str) or len(answer) > ANSWER_MAX or "\x00" in answer:
            raise _fail("answers", _("Each answer is plain text of at most %(limit)d characters.", limit=ANSWER_MAX))
        out.append({"question": question, "answer": answer.strip()})
    return out


def _check_actor(actor: User | None, offer: Offer, closer_id: int | None) -> int | None:
    """Who may book on this offer; returns the closer the booking is limited to (a closer books for themself)."""
    if actor is None or actor.is_admin:
        return closer_id
    if actor.is_closer:
        if closer_id not in (None, actor.id):
            raise PermissionDenied(_("Closers book calls for themselves only."))
        return actor.id
    if actor.business_id != offer.business_id:
        raise NotFound(_("Offer not found."))
    return closer_id


def _resolve_lead(
    session: Session, offer: Offer, lead: Lead | LeadDetails
) -> tuple[Lead | LeadDetails, leads.LeadValues | None]:
    """An existing lead of the offer's business, or the details of a new/updated one with their cleaned values."""
    if isinstance(lead, Lead):
        if lead.business_id != offer.business_id:
            raise _fail("lead_id", _("There is no lead with this id in this business."))
        return lead, None
    with nested_in("lead"):  # ``lead.email``: each surface names the path its way (``BookingRequest``)
        values = lead_cleaning.clean_lead_details(lead.full())
    return lead, values


def _phone_of(lead: Lead | LeadDetails, values: leads.LeadValues | None) -> str | None:
    if isinstance(lead, Lead):
        return lead.phone_e164
    return (values or {}).get("phone_e164")


def actor_label_for(via: BookedVia, actor: User | None) -> str:
    """prospect / business / closer / admin: who booked, for the history."""
    if via in _LABEL_OF_VIA:
        return _LABEL_OF_VIA[via]
    if actor is None:
        return "prospect"
    return {Role.ADMIN: "admin", Role.CLOSER: "closer"}.get(actor.role, "business")


def free_candidates(
    session: Session,
    candidates: list[routing.Candidate],
    rules_of: dict[int, AvailabilityRules],
    start: datetime,
    now: datetime,
    busy_of: dict[int, list[Busy]],
) -> list[routing.Candidate]:
    """The busy check: the candidates whose closer has no call (or buffer) over ``start``.

    ``busy_of``: calls already read per closer (the others are read here). The insert follows
    (``guard.write_booking``); the database refuses what a concurrent booking took meanwhile.
    """
    return [
        c
        for c in candidates
        if free_slot_at(
            session,
            c.engagement.closer,
            rules_of[c.engagement.closer_id],
            start,
            now,
            busy=busy_of.get(c.engagement.closer_id),
        )
    ]


def _choose(
    session: Session,
    offer: Offer,
    engagements: list[Engagement],
    start: datetime,
    now: datetime,
    *,
    named: bool,
    facts: dict[int, CloserFacts],
) -> tuple[routing.Candidate, str, AvailabilityRules]:
    """Check ``start`` against each closer's rules and busy time, then route; raises when nobody can take it.

    The offer's call (``Offer.call``) is cut out of each closer's windows: the same length
    whichever closer routing picks. Returns the pick, the routing note and the picked closer's
    own rules (their buffer, for the insert). On
    PostgreSQL a routed booking locks the picked closer (``guard.lock_for_booking``) and
    checks their calls again as committed.
    """
    in_rules: list[routing.Candidate] = []
    closers = [e.closer for e in engagements]
    known = {c.id: facts[c.id].rules_etag for c in closers if c.id in facts}
    own_rules = rules_for_many(session, closers, etags=known if len(known) == len(closers) else None)
    rules_of = {i: r.for_call(*offer.call) for i, r in own_rules.items()}  # the offer sets the call
    refused: tuple[AvailabilityRules, User] | None = None  # the first closer whose rules refuse ``start``
    for engagement in engagements:
        rules = rules_of[engagement.closer_id]
        slot = free_slot_at(session, engagement.closer, rules, start, now, with_busy=False)
        if slot is None:
            refused = refused or (rules, engagement.closer)
        else:
            in_rules.append(routing.Candidate(engagement, slot))
    if not in_rules:
        assert refused is not None
        raise start_refusal(*refused, start, now)  # the message is written only when it is raised
    # Each check reads only the closer's calls and calendar spans that can collide with the slot
    # (and, with a daily cap, those of its local day), through the exclusion constraint's GiST
    # index on PostgreSQL: its cost does not grow with the closer's history or their busy week.
    free = free_candidates(session, in_rules, rules_of, start, now, {})
    if not free:
        raise SlotUnavailable(_("This time was just taken. Please choose another slot."))
    if named:
        pick, reason = free[0], routing.named_reason(free[0].engagement)
    else:
        pick, reason = routing.choose(session, offer.id, start, free)
    closer_id = pick.engagement.closer_id
    # Routed: the pick is known only now; once locked, their calls again, as committed.
    if guard.lock_for_booking(session, closer_id=closer_id) and not free_slot_at(
        session, pick.engagement.closer, rules_of[closer_id], start, now
    ):
        raise SlotUnavailable(_("This time was just taken. Please choose another slot."))
    return pick, reason, own_rules[closer_id]


def _slot_taken(
    session: Session,
    exc: SlotUnavailable,
    engagements: list[Engagement],
    start: datetime,
    now: datetime,
    *,
    named: bool,
    zone: str | None = None,
) -> SlotUnavailable:
    """``exc`` with the 3 nearest free slots (in the prospect's ``zone``'s daytime first), read in a fresh
    transaction (the failed one is rolled back).

    A call booked with a chosen closer gets that closer's ``Slot``s; a routed one ``OfferSlot``s.
    """
    session.rollback()
    ids = [e.id for e in engagements]
    fresh = list(session.scalars(select(Engagement).where(Engagement.id.in_(ids)).order_by(Engagement.id)))
    if named and len(fresh) == 1:
        exc.alternatives = closer_alternatives(session, fresh[0].closer, start, now, offer=fresh[0].offer, zone=zone)
        exc.closer_id = fresh[0].closer_id
    else:
        exc.alternatives = offer_alternatives(session, fresh, start, now, zone=zone)
    session.rollback()
    return exc


def book(
    session: Session,
    request: BookingRequest,
    *,
    offer: Offer,
    actor: User | None,
    via: BookedVia,
    now: datetime,
    follow_up_of: Appointment | None = None,
    without: int | None = None,
) -> Appointment:
    """Book the ``request``ed closing call on ``offer`` (its start aware) and commit once.

    Checks, in order: aware start and channel (422), who may book, the engagement (404 /
    409 ``engagement_not_active`` / 422), the lead (422; ``LeadDetails`` are upserted through
    ``leads.upsert_lead``), the start against the closer's rules (422: past, notice,
    horizon, not a slot), then busy time (``SlotUnavailable``, 409, with alternatives).
    With no closer or engagement given, the call is routed round-robin (``routing``), leaving out
    ``without`` (the closer who missed the prospect's previous call) when given. Errors name
    the request's fields (``lead.email`` for the prospect's details).
    """
    lead, closer_id, engagement_id = request.lead, request.closer_id, request.engagement_id
    start = require_aware(request.start, "start")
    chosen_channel = _clean_channel(request.channel)
    guard.take_write_lock(session)
    if not offer.is_active:
        raise NotFound(_("Booking page not found."))
    closer_id = _check_actor(actor, offer, closer_id)
    facts: dict[int, CloserFacts] = {}
    engagements = _engagements(session, offer, closer_id, engagement_id, facts, without)
    lead_or_data, lead_values = _resolve_lead(session, offer, lead)
    phone = _phone_of(lead_or_data, lead_values)
    if chosen_channel == Channel.PHONE and not phone:
        raise _fail("lead.phone", _("A phone call needs the prospect's phone number (international format, +...)."))
    clean_answers = _clean_answers(offer, request.answers)
    prospect_email = lead_or_data.email if isinstance(lead_or_data, Lead) else (lead_values or {}).get("email")
    clean_guests = guest_rules.clean_guests(request.guests, prospect_email)
    if follow_up_of is not None and (
        follow_up_of.business_id != offer.business_id
        or (isinstance(lead_or_data, Lead) and follow_up_of.lead_id != lead_or_data.id)
    ):
        raise _fail("follow_up_of", _("A follow-up is with the same lead and business as the first call."))
    named = closer_id is not None or engagement_id is not None
    zone = lead_values["timezone"] if lead_values is not None else lead_or_data.timezone
    try:
        candidate, reason, rules = _choose(session, offer, engagements, start, now, named=named, facts=facts)
    except SlotUnavailable as exc:
        raise _slot_taken(session, exc, engagements, start, now, named=named, zone=zone) from None

    # An anonymous caller (booking page, booking key) only proves it knows an offer's link: a
    # known lead is left as the business wrote it, and what the caller typed goes on the call
    # as "the prospect said" (``prospect_said``), never merged over the lead.
    public = actor is None
    said = (
        leads.given_values(lead_or_data, lead_values)
        if public and isinstance(lead_or_data, LeadDetails) and lead_values is not None
        else None
    )
    lead_row = (
        lead_or_data
        if isinstance(lead_or_data, Lead)
        else leads.upsert_lead(
            session, offer.business_id, lead_or_data, actor=actor, now=now, values=lead_values, keep_existing=public
        )
    )
    engagement, slot = candidate.engagement, candidate.slot
    buffer = timedelta(minutes=rules.buffer_minutes)
    appointment = Appointment(
        uid=f"{uuid.uuid4()}@closerhub",
        business_id=offer.business_id,
        offer_id=offer.id,
        engagement_id=engagement.id,
        closer_id=engagement.closer_id,
        lead_id=lead_row.id,
        # Set, so the response (built from these objects) loads neither back.
        closer=engagement.closer,
        lead=lead_row,
        starts_at=slot.start,
        ends_at=slot.end,
        blocked_until=slot.end + buffer,
        status=AppointmentStatus.BOOKED,
        channel=chosen_channel,
        meeting_url=_meeting(session, engagement.closer_id, facts) if chosen_channel == Channel.VIDEO else None,
        dial_from="closer" if chosen_channel == Channel.PHONE else None,
        dial_number=phone if chosen_channel == Channel.PHONE else None,  # the number given, or the lead's
        prospect_timezone=lead_values["timezone"] if lead_values is not None else lead_row.timezone,
        answers=clean_answers,
        guests=clean_guests,
        prospect_said=said,
        booked_via=via,
        booked_by_id=actor.id if actor is not None else None,
        routing_reason=reason,
        follow_up_of_id=follow_up_of.id if follow_up_of is not None else None,
        sequence=0,
        reschedule_count=0,
        created_at=now,
        updated_at=now,
    )
    label = actor_label_for(via, actor)
    audited = {"starts_at": appointment.starts_at, "closer_id": appointment.closer_id, "via": via, "routing": reason}
    new = write.NewBooking(appointment, at=now, actor=actor, actor_label=label, audit_after=audited)
    try:  # the call, its history line and audit row as Core INSERTs (``booking.write``)
        guard.write_booking(session, new)
    except (IntegrityError, OperationalError) as exc:
        if not guard.is_overlap(exc):
            raise
        taken = SlotUnavailable(_("This time was just taken. Please choose another slot."))
        raise _slot_taken(session, taken, engagements, start, now, named=named, zone=zone) from None
    # The webhook event; the confirmations (an email per recipient) and the closer's search summary
    # follow the commit: one outbox event row, expanded by the worker (``booking.booked_event``).
    write.record_booked(session, new)
    session.commit()
    return appointment
