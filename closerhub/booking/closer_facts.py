"""The engagements a booking may use, locked, with what it reads of their closers (one query, not five)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, contains_eager, joinedload, scoped_session

from closerhub.accounts.models import AccountStatus
from closerhub.booking import guard
from closerhub.booking.slots import (
    bookable_engagements,
)
from closerhub.businesses.models import Offer
from closerhub.closers.models import AvailabilitySettings, CloserProfile, MeetingMode
from closerhub.core.errors import Conflict, ValidationError
from closerhub.core.i18n import _
from closerhub.db import is_plausible_id
from closerhub.engagements.models import Engagement
from closerhub.engagements.service import check_active_engagement
from closerhub.vetting.models import CloserVetting, VettingStatus
from closerhub.webhooks.service import has_enabled_endpoint, note_no_endpoints


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


@dataclass(frozen=True)
class CloserFacts:
    """What a booking reads of the chosen closer with the locked engagement, instead of four more queries."""

    vetting: VettingStatus | None
    meeting_mode: MeetingMode | None
    meeting_url: str | None
    rules_etag: str | None  # None: availability never saved


def _facts_select(closer_loader: Any) -> Select[Any]:
    """The engagement (its closer loaded by ``closer_loader``, its offer joined), the ``CloserFacts``
    columns and whether the business has a webhook endpoint, by ``engagement_id``."""
    return (
        select(
            Engagement,
            CloserVetting.status,
            CloserProfile.meeting_mode,
            CloserProfile.meeting_url,
            AvailabilitySettings.rules_etag,
            has_enabled_endpoint(Engagement.business_id),
        )
        .outerjoin(CloserVetting, CloserVetting.closer_id == Engagement.closer_id)
        .outerjoin(CloserProfile, CloserProfile.user_id == Engagement.closer_id)
        .outerjoin(AvailabilitySettings, AvailabilitySettings.closer_id == Engagement.closer_id)
        .where(Engagement.id == bindparam("engagement_id"))
        .options(closer_loader, joinedload(Engagement.offer))
        .execution_options(populate_existing=True)
    )


@functools.cache
def _engagement_with_facts() -> Select[Any]:
    """``_facts_select`` without locks; built once, as every booking with a chosen engagement runs it."""
    return _facts_select(joinedload(Engagement.closer))


@functools.cache
def locked_engagement_with_facts() -> Select[Any]:
    """The API's first read of a booking (one statement for two): ``_facts_select``, locking the
    engagement and its closer as ``guard.lock_for_booking`` does (the closer comes from that join).
    Hand the row to ``remember``.

    The facts are read in the statement that takes the lock, so after a wait they are as they
    were before it; none of them is written under the booking lock (only calls are, and the busy
    check reads those after the lock), so a wait makes them no staler than a read just before it.
    """
    return guard.locking_engagement_and_closer(_facts_select(contains_eager(Engagement.closer)))


_REMEMBERED = "booking_engagement_facts"


def _remembered(session: Session) -> dict[int, Any]:
    """Rows of ``locked_engagement_with_facts`` read in the session's current transaction, by engagement id."""
    real = session() if isinstance(session, scoped_session) else session
    transaction = real.get_transaction()
    memo = real.info.get(_REMEMBERED)
    if memo is None or memo[0] is not transaction:
        memo = real.info[_REMEMBERED] = (transaction, {})
    return memo[1]


def remember(session: Session, row: Any) -> Engagement:
    """Keep a ``locked_engagement_with_facts`` row for the booking in this transaction (its locks held,
    its facts known, no webhook endpoint noted) and return its engagement."""
    engagement: Engagement = row[0]
    guard.mark_locked_for_booking(session, engagement_id=engagement.id, closer_id=engagement.closer_id)
    _remembered(session)[engagement.id] = tuple(row[:5])
    if not row[5]:
        note_no_endpoints(session, engagement.business_id)
    return engagement


def _locked_engagement(
    session: Session, engagement_id: object, business_id: int, facts: dict[int, CloserFacts]
) -> Engagement:
    """``require_active_engagement(..., lock=True)`` plus the closer's vetting, meeting settings and
    rules etag, read in one statement once the
    engagement and its closer are locked (``guard.lock_for_booking``; the API's first read
    takes those locks and reads all this, ``remember``; other callers pay one more statement here).
    """
    row = None
    if is_plausible_id(engagement_id):
        row = _remembered(session).get(engagement_id)  # type: ignore[call-overload]
    if row is None and is_plausible_id(engagement_id):
        # Lock first, then read: a read that waited for the lock would see the other tables
        # (summary, vetting, ...) as they were before the wait.
        guard.lock_for_booking(session, engagement_id=engagement_id)  # type: ignore[arg-type]
        row = session.execute(_engagement_with_facts(), {"engagement_id": engagement_id}).one_or_none()
        if row is not None and not row[5]:
            note_no_endpoints(session, row[0].business_id)
    engagement = check_active_engagement(row[0] if row else None, business_id)
    assert row is not None
    facts[engagement.closer_id] = CloserFacts(*row[1:5])
    return engagement


def _engagements(
    session: Session,
    offer: Offer,
    closer_id: int | None,
    engagement_id: int | None,
    facts: dict[int, CloserFacts],
    without: int | None = None,
) -> list[Engagement]:
    """The engagements the call may go to (one when chosen; else every bookable one of the offer).

    A chosen engagement is locked with its closer, then read in one query that also brings
    what the booking needs of the closer (``facts``).
    """
    if engagement_id is not None:
        engagement = _locked_engagement(session, engagement_id, offer.business_id, facts)
        if engagement.offer_id != offer.id:
            raise _fail("engagement_id", _("This engagement is for another offer."))
        if closer_id is not None and engagement.closer_id != closer_id:
            raise _fail("engagement_id", _("This engagement is with another closer."))
        if engagement.closer.status != AccountStatus.ACTIVE:
            raise _fail("engagement_id", _("This closer's account is suspended; choose another closer."))
        if facts[engagement.closer_id].vetting != VettingStatus.APPROVED:  # as ``slots.bookable_engagements``
            raise _fail("engagement_id", _("This closer cannot take bookings at the moment; choose another closer."))
        return [engagement]
    found = bookable_engagements(session, offer, closer_id=closer_id, without=without)
    if not found and closer_id is not None:
        raise _fail("closer_id", _("This closer is not available for this offer."))
    if not found:
        raise Conflict(_("No closer is available for this offer yet."), code="no_closer")
    return found
