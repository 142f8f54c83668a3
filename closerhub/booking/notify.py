"""Booking emails: confirmation, reschedule and cancel notices with ICS invites, reminders, outcome nudges.

Every function only queues messages in the transactional outbox
(``notifications.service.queue_email``); the caller commits once, so nothing is sent for
a booking that rolls back. Each recipient gets their own message, in their language, with
the time in their zone (named) and the other party's local time beside it:
"Tuesday 5 January 2027, 10:00–10:45 your time (Europe/Paris, UTC+01:00)" then
"04:00 for the prospect, Lea (America/New_York)".

Recipients: the prospect (``appointment.prospect_language`` and ``prospect_zone``: on a public
booking, what they typed; their email carries the signed reschedule/cancel link), the closer
(their account's language and zone) and every active member of the business. The
confirmation and reschedule notices carry ``invite.ics`` with ``METHOD:REQUEST`` (same UID,
the appointment's SEQUENCE), the cancel notice ``METHOD:CANCEL``; calendar clients update or
remove the event they already hold.

The words about the call (its times for each reader, how to join) are ``notify_text``'s.

Deferred rendering: the confirmation, reschedule and cancel notices are queued from the
request as ``to_render`` outbox rows (``queue_email_later``): one small row per recipient
holding the appointment id, the recipient, and a snapshot of the call as it was at that
moment (start, end, SEQUENCE, status, channel, link, dial plan). The worker renders them
(``render_pending``) with the snapshot laid over the current row (``_AsQueued``), so a
confirmation rendered after a quick reschedule still shows the booked time and SEQUENCE,
and the reschedule notice that follows carries the new ones, as if both were rendered at once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from closerhub.booking.calendar_files import ics
from closerhub.booking.models import Appointment, AppointmentEvent, AppointmentStatus, Channel
from closerhub.booking.notify_text import join_text, other_times, short_when, when_for
from closerhub.booking.recipients import (
    GUEST,
    ON_PROSPECT_SIDE,
    PROSPECT,
    Recipient,
    _prospect_view,
    business_members,
    closer_of,
    everyone,
    guests_of,
    prospect_of,
)
from closerhub.i18n import reading_in_zone
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.service import (
    public_url,
    queue_email,
    queue_email_later,
    register_renderer,
    supported_language,
)

log = logging.getLogger(__name__)


def _url(endpoint: str, **values: Any) -> str | None:
    """An absolute link, or None while the page it points to does not exist yet."""
    try:
        return public_url(endpoint, **values)
    except BuildError:
        log.warning("No endpoint %s yet: the booking email goes without that link", endpoint)
        return None


def manage_url(appointment: Appointment) -> str | None:
    """The prospect's signed reschedule/cancel page (``booking.service.manage_token``)."""
    try:
        from closerhub.booking.service import manage_token  # late: the service imports this module
    except ImportError:
        log.warning("booking.service.manage_token is missing: the prospect's email has no manage link")
        return None
    return _url("booking_public.manage", token=manage_token(appointment))


def _page_url(recipient: Recipient, appointment: Appointment) -> str | None:
    if recipient.role == PROSPECT:
        return manage_url(appointment)
    if recipient.role == GUEST:
        return None  # only the prospect moves or cancels the call
    return _url("appointments.show", appointment_id=appointment.id)


def _context(appointment: Appointment, recipient: Recipient, **extra: Any) -> dict[str, Any]:
    """The template variables, formatted in the recipient's language (the caller forces the locale)."""
    return {
        "appointment": appointment,
        "offer": appointment.offer,
        "business": appointment.business,
        "closer": appointment.closer,
        # The prospect's own emails get only who they are to this call (what they typed, on a
        # public booking), never the business's lead: its name, phone and context stay private.
        "lead": _prospect_view(appointment) if recipient.role in ON_PROSPECT_SIDE else appointment.lead,
        "recipient": recipient,
        "role": PROSPECT if recipient.role == GUEST else recipient.role,
        "guest": recipient.role == GUEST,
        "zone": recipient.timezone,
        "when": when_for(appointment.starts_at, appointment.ends_at, recipient.timezone),
        "when_short": short_when(appointment.starts_at, recipient.timezone),
        "others": other_times(appointment, appointment.starts_at, recipient),
        "join": join_text(appointment),
        "url": _page_url(recipient, appointment),
        **extra,
    }


def _invite(appointment: Appointment, method: str, language: str, *, now: datetime) -> Attachment:
    return Attachment(
        filename="invite.ics" if method == "REQUEST" else "cancel.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        content=ics.invite(appointment, method=method, language=language, now=now),
    )


def send(
    session: Session,
    appointment: Appointment,
    template: str,
    recipients: list[Recipient],
    *,
    method: str | None = None,
    extra: Any = None,
    now: datetime,
) -> int:
    """Queue ``template`` for each recipient (one message each, no duplicates); returns how many.

    ``method`` attaches the ICS invite (``REQUEST`` or ``CANCEL``) in the recipient's language.
    ``extra`` is a function ``(recipient) -> dict`` of more template variables, called in their locale.
    """
    seen: set[str] = set()
    for recipient in recipients:
        if recipient.email in seen:
            continue
        seen.add(recipient.email)
        language = supported_language(recipient.language)
        with force_locale(language), reading_in_zone(recipient.timezone):
            context = _context(appointment, recipient, **(extra(recipient) if extra else {}))
            attachments = [_invite(appointment, method, language, now=now)] if method else []
        queue_email(
            session,
            to=recipient.email,
            template=template,
            language=language,
            context=context,
            attachments=attachments,
            now=now,
        )
    return len(seen)


def _last_event(appointment: Appointment, kind: str) -> AppointmentEvent | None:
    return next((e for e in reversed(appointment.events) if e.kind == kind), None)


# --- deferred: queued in the request, rendered by the worker --------------------------------------

RENDERER = "booking.appointment"
# What may change after the notice was queued and must read as it was then (see the module docstring).
_SNAPSHOT_TIMES = ("starts_at", "ends_at")
_SNAPSHOT_VALUES = ("sequence", "meeting_url", "dial_from", "dial_number", "cancel_reason")


def _snapshot(appointment: Appointment) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(appointment, k).isoformat() for k in _SNAPSHOT_TIMES}
    out.update({k: getattr(appointment, k) for k in _SNAPSHOT_VALUES})
    out["status"], out["channel"] = appointment.status.value, appointment.channel.value
    return out


class _AsQueued:
    """The appointment as it was when the notice was queued: the snapshot over the current row (read-only)."""

    def __init__(self, appointment: Appointment, snapshot: dict[str, Any]) -> None:
        values: dict[str, Any] = {k: datetime.fromisoformat(snapshot[k]) for k in _SNAPSHOT_TIMES}
        values.update({k: snapshot.get(k) for k in _SNAPSHOT_VALUES})
        values["status"], values["channel"] = AppointmentStatus(snapshot["status"]), Channel(snapshot["channel"])
        self.__dict__.update(values)
        self._appointment = appointment

    def __getattr__(self, name: str) -> Any:  # everything not in the snapshot: the row (ids, uid, lead, offer, ...)
        return getattr(self._appointment, name)


def send_later(
    session: Session,
    appointment: Appointment,
    template: str,
    recipients: list[Recipient],
    *,
    method: str | None = None,
    data: dict[str, Any] | None = None,
    snapshot: dict[str, Any] | None = None,
    now: datetime,
) -> int:
    """Queue ``template`` for each recipient as a ``to_render`` row (one each, no duplicates); returns how many.

    Like ``send``, but nothing is rendered now: ``data`` (JSON values) becomes the template
    variables at render time (``previous_start``, an ISO instant, becomes ``previous_when``
    in the recipient's zone). ``snapshot``: the call as it was when the event happened (an
    outbox event expanded later), else as it is now.
    """
    seen: set[str] = set()
    snapshot = snapshot if snapshot is not None else _snapshot(appointment)
    for recipient in recipients:
        if recipient.email in seen:
            continue
        seen.add(recipient.email)
        queue_email_later(
            session,
            to=recipient.email,
            template=template,
            language=supported_language(recipient.language),
            renderer=RENDERER,
            params={
                "appointment_id": appointment.id,
                # The prospect's row does not even hold the internal cancel reason.
                "as_of": {k: v for k, v in snapshot.items() if k != "cancel_reason"}
                if recipient.role in ON_PROSPECT_SIDE
                else snapshot,
                "recipient": asdict(recipient),
                "method": method,
                "data": data or {},
            },
            now=now,
        )
    return len(seen)


def _render(
    session: Session, params: Any, language: str, now: datetime
) -> tuple[dict[str, Any], list[Attachment]] | None:
    """The renderer of ``send_later`` rows (called in the recipient's locale); None when the call is gone."""
    appointment = session.get(Appointment, params["appointment_id"])
    if appointment is None:
        return None
    view: Any = _AsQueued(appointment, params["as_of"])
    recipient = Recipient(**params["recipient"])
    extra = dict(params.get("data") or {})
    with reading_in_zone(recipient.timezone):
        if extra.get("previous_start"):
            previous = datetime.fromisoformat(extra.pop("previous_start"))
            extra["previous_when"] = when_for(previous, None, recipient.timezone)
        method = params.get("method")
        attachments = [_invite(view, method, language, now=now)] if method else []
        return _context(view, recipient, **extra), attachments


register_renderer(RENDERER, _render)


# --- the contract: called by booking.service inside its transaction ------------------------------


def appointment_booked(
    session: Session, appointment: Appointment, snapshot: dict[str, Any] | None = None, *, now: datetime
) -> None:
    """Confirm the call to the prospect, the closer and the business, each with the ICS invite (REQUEST).

    Called by the worker when it expands the booking's outbox event (``booking.booked_event``),
    with the call as it was booked (``snapshot``)."""
    recipients = everyone(session, appointment)
    send_later(session, appointment, "appointment_booked", recipients, method="REQUEST", snapshot=snapshot, now=now)


def snapshot_of(appointment: Appointment) -> dict[str, Any]:
    """The call's values an email must show as they were when it was queued (JSON-safe)."""
    return _snapshot(appointment)


def _prospect_reason(actor_label: str, reason: str | None) -> str | None:
    """The reason the prospect may read: only their own. Anyone else's reason is internal (business,
    closer, admins); the prospect reads the separate ``message_to_prospect``, when one was written."""
    return reason if actor_label == "prospect" else None


def _send_by_audience(
    session: Session,
    appointment: Appointment,
    template: str,
    *,
    method: str,
    data: dict[str, Any],
    prospect_data: dict[str, Any],
    now: datetime,
) -> None:
    """Queue ``template`` to the prospect with ``prospect_data`` and to the closer and business with ``data``."""
    prospect = prospect_of(appointment)
    send_later(
        session, appointment, template, [prospect, *guests_of(appointment)], method=method, data=prospect_data, now=now
    )
    others = [r for r in (closer_of(appointment), *business_members(session, appointment)) if r.email != prospect.email]
    send_later(session, appointment, template, others, method=method, data=data, now=now)


def appointment_rescheduled(
    session: Session,
    appointment: Appointment,
    previous_start: datetime,
    *,
    message_to_prospect: str | None = None,
    now: datetime,
) -> None:
    """Tell everyone the call moved from ``previous_start``; the invite's SEQUENCE tells calendars to update.

    The internal reason goes to the closer and the business; the prospect reads ``message_to_prospect``.
    """
    event = _last_event(appointment, "rescheduled")
    label = event.actor_label if event else ""
    reason = event.reason if event else None
    data = {"previous_start": previous_start.isoformat(), "actor_label": label, "reason": reason}
    prospect_data = {**data, "reason": _prospect_reason(label, reason), "message": message_to_prospect}
    _send_by_audience(
        session,
        appointment,
        "appointment_rescheduled",
        method="REQUEST",
        data=data,
        prospect_data=prospect_data,
        now=now,
    )


def rebook_url(appointment: Appointment) -> str | None:
    """The offer's public booking page, for a prospect whose call we had to cancel."""
    offer = appointment.offer
    if not offer.is_active:
        return None
    return _url("booking_public.book", key=offer.booking_key)


def appointment_cancelled(
    session: Session,
    appointment: Appointment,
    *,
    message_to_prospect: str | None = None,
    rebook: bool = False,
    now: datetime,
) -> None:
    """Tell everyone the call is cancelled, with a CANCEL invite that removes it from their calendars.

    The internal reason goes to the closer and the business; the prospect reads ``message_to_prospect``
    and, with ``rebook``, a link to book another time.
    """
    event = _last_event(appointment, "cancelled")
    label = event.actor_label if event else ""
    reason = appointment.cancel_reason or (event.reason if event else None)
    data = {"actor_label": label, "reason": reason, "url": None}  # a cancelled call has nothing left to manage
    prospect_data = {
        **data,
        "reason": _prospect_reason(label, reason),
        "message": message_to_prospect,
        "rebook_url": rebook_url(appointment) if rebook else None,
    }
    _send_by_audience(
        session, appointment, "appointment_cancelled", method="CANCEL", data=data, prospect_data=prospect_data, now=now
    )
