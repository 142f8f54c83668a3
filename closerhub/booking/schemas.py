"""API schemas of appointments: booking, rescheduling, cancelling and reading closing calls.

Inputs check shapes and types (a naive ``start`` is a 422 here already); the booking
rules (slots, notice, horizon, engagement, lead, change policy) are checked by
``booking.service``, which the booking page and the dashboards call too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from closerhub.api.schema_docs import NAME_PATTERN, REQUIRED_TEXT_PATTERN, documented_text
from closerhub.api.schemas import AwareInstant, Email, InModel, OutModel, PageQuery, UTCInstant
from closerhub.booking.attendance.no_shows import NOTE_MAX
from closerhub.booking.changes.service import REASON_MAX
from closerhub.booking.guests import GUESTS_MAX
from closerhub.leads.schemas import LeadContextOut, LeadIn

Reason = Annotated[str, StringConstraints(max_length=5000)]
Status = Literal["booked", "cancelled", "completed", "no_show"]


class GuestIn(InModel):
    name: Annotated[str, StringConstraints(max_length=1000), documented_text(120, NAME_PATTERN, minLength=1)]
    email: Email


class AppointmentIn(InModel):
    """Book a call. A business gives `engagement_id` (or `offer_id` to route among the offer's
    closers, optionally with `closer_id`); a public caller gives the offer's `booking_key`
    (or the `X-Booking-Key` header). The prospect is `lead` (created, or updated by email)
    or, for signed-in callers, an existing `lead_id`."""

    start: AwareInstant = Field(
        description="A free slot's start, ISO 8601 with offset", examples=["2026-12-01T14:00:00Z"]
    )
    channel: Literal["phone", "video"]
    engagement_id: int | None = Field(None, description="Book with this engagement's closer")
    offer_id: int | None = Field(None, description="Route among this offer's closers (business callers)")
    closer_id: int | None = Field(None, description="With `offer_id` or `booking_key`: this closer, no routing")
    booking_key: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="The offer's public booking key (unauthenticated callers)"
    )
    lead: LeadIn | None = None
    lead_id: int | None = Field(None, description="An existing lead of your business (instead of `lead`)")
    answers: dict[Annotated[str, StringConstraints(max_length=500)], Reason] | None = Field(
        None, description="Answers to the offer's booking questions, keyed by the question text"
    )
    follow_up_of_id: int | None = Field(None, description="The earlier call this one follows up")
    guests: list[GuestIn] | None = Field(
        None,
        max_length=50,
        description="Up to 5 people the prospect invites (not the prospect's own address; duplicates dropped): "
        "each gets the invite and is told of reschedules and cancellations",
        json_schema_extra={"maxItems": GUESTS_MAX},
    )


_INTERNAL = (
    "Internal: the business, the closer and CloserHub read it, never the prospect (unless the caller is the "
    "prospect). Required when the business asks for a reason"
)
_FOR_PROSPECT = "Optional message the prospect reads in their notice (the internal reason is never sent to them)"


#: A reason or a message to the prospect: the service's length and characters (``booking.changes``).
ChangeText = Annotated[Reason, documented_text(REASON_MAX)]


class RescheduleIn(InModel):
    start: AwareInstant = Field(description="The new start: a free slot of the same closer")
    reason: ChangeText | None = Field(None, description=_INTERNAL)
    message_to_prospect: ChangeText | None = Field(None, description=_FOR_PROSPECT)


class CancelIn(InModel):
    reason: ChangeText | None = Field(None, description=_INTERNAL)
    message_to_prospect: ChangeText | None = Field(None, description=_FOR_PROSPECT)


class HandBackIn(InModel):
    reason: Annotated[
        Reason,
        # Required text: at least one visible character (the service trims it), at most its limit.
        documented_text(REASON_MAX, REQUIRED_TEXT_PATTERN),
        Field(description="Why you hand the call back (required; the business reads it, not the prospect)"),
    ]


class HandBackOut(OutModel):
    id: int
    result: Literal["reassigned", "cancelled"] = Field(
        description="`reassigned`: another engaged closer free at that time took the call (routing rule); "
        "`cancelled`: nobody could, the prospect got a link to book again"
    )


#: ``from``/``to`` of the list: a date (in the reader's zone) or an instant with its offset.
DateOrInstant = Annotated[
    str,
    StringConstraints(max_length=40),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time", "maxLength": 40}]}
    ),
]


class AppointmentQuery(PageQuery):
    status: Status | None = None
    from_: DateOrInstant | None = Field(
        None, alias="from", description="Calls starting at or after: an instant with offset, or a date in your zone"
    )
    to: DateOrInstant | None = Field(
        None, description="Calls starting before: an instant with offset, or a date (exclusive) in your zone"
    )


class PersonOut(OutModel):
    id: int
    name: str
    timezone: str


class AppointmentLeadOut(OutModel):
    id: int | None = Field(description="The lead's id (null for an anonymous booking-key caller)")
    name: str
    email: str
    phone: str | None
    timezone: str
    context: LeadContextOut


class ProspectSaidOut(OutModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    language: str | None = None
    context: dict[str, str] = Field(default_factory=dict, description="needs, budget, ... as the prospect gave them")


class DialPlanOut(OutModel):
    caller: Literal["closer", "prospect"] = Field(description="Who dials")
    number: str = Field(description="The number to dial (E.164)")


class OfferRefOut(OutModel):
    id: int
    name: str


class EventOut(OutModel):
    kind: str
    at: UTCInstant
    actor_label: str
    from_start: UTCInstant | None
    to_start: UTCInstant | None
    reason: str | None


class AlternativeOut(OutModel):
    start: UTCInstant
    end: UTCInstant | None = None
    local_start: str = Field(description="Start in the prospect's zone (or yours)")
    closer_ids: list[int] = Field(default_factory=list)


Attended = Literal["attended", "no_show"]


class AttendanceOut(OutModel):
    prospect_confirmed_at: UTCInstant | None = Field(
        description="When the prospect confirmed they will come (the 24 h reminder's link); null until then"
    )
    prospect: Attended | None = Field(description="From the outcome: null until one is recorded")
    closer: Attended | None = Field(
        description="`no_show` once an admin confirmed a report that the closer did not come; `attended` once the "
        "closer recorded a held call"
    )


class CloserNoShowIn(InModel):
    note: Annotated[Reason, documented_text(NOTE_MAX)] | None = Field(
        None, description="What happened (the admin who reviews the report reads it)"
    )


class CloserNoShowOut(OutModel):
    id: int
    appointment_id: int
    status: Literal["pending", "confirmed", "rejected"] = Field(description="`pending` until an admin reviews it")
    reported_by: str
    note: str
    created_at: UTCInstant


class AppointmentOut(OutModel):
    id: int
    uid: str = Field(description="Stable calendar UID")
    status: Status
    start: UTCInstant
    end: UTCInstant
    channel: Literal["phone", "video"]
    meeting_url: str | None
    dial_plan: DialPlanOut | None
    closer: PersonOut
    lead: AppointmentLeadOut
    offer: OfferRefOut
    engagement_id: int
    business_id: int
    prospect_timezone: str
    prospect_local_start: str = Field(examples=["2026-12-01T09:00:00-05:00"])
    closer_local_start: str = Field(examples=["2026-12-01T15:00:00+01:00"])
    answers: list[dict[str, str]]
    guests: list[dict[str, str]] = Field(default_factory=list, description="`{name, email}` of each guest")
    prospect_said: ProspectSaidOut | None = Field(
        None,
        description="What the prospect typed when booking on the public page or with a booking key "
        "(only the fields they gave); kept beside the lead, never merged over it. Null for signed-in bookings.",
    )
    booked_via: str
    routing_reason: str | None = Field(None, description="Why this closer (signed-in callers)")
    sequence: int
    reschedule_count: int
    cancelled_at: UTCInstant | None
    cancel_reason: str | None
    created_at: UTCInstant
    updated_at: UTCInstant
    history: list[EventOut] = Field(default_factory=list)
    attendance: AttendanceOut
