"""Engagement use cases: propose, accept, decline, withdraw, end, change the rate; and the booking gate.

Each function takes the session, the acting user and plain arguments, checks in this
order — visibility (404), role (403), state (409), input (422); a proposal checks its
input before the duplicate (409) — changes nothing on any error, and commits once.
Every transition emails both sides (the closer and each member of the business), each
in their own language (``emails``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_percent
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.audit.service import record
from closerhub.businesses.models import Offer
from closerhub.businesses.service import clean_text
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS, CloserProfile
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import N_, _, reading_language
from closerhub.db import get_by_id, is_plausible_id
from closerhub.engagements.emails import notify as _notify
from closerhub.engagements.models import OPEN_STATUSES, CommissionBasis, Engagement, EngagementStatus
from closerhub.engagements.queries import engagements_query, open_engagements  # noqa: F401  (re-exported)
from closerhub.vetting.service import is_approved
from closerhub.webhooks.service import emit

REASON_MAX = 1000

# Whole sentences per transition; the status (``_(status.value)``, translated with the other
# status labels) fills ``%(status)s``.
_CANNOT_BE = {
    "accepted": N_("An engagement that is %(status)s cannot be accepted."),
    "declined": N_("An engagement that is %(status)s cannot be declined."),
    "withdrawn": N_("An engagement that is %(status)s cannot be withdrawn."),
    "given a new rate": N_("An engagement that is %(status)s cannot be given a new rate."),
}
_ONLY_CLOSER = {
    "accept": N_("Only the closer can accept this engagement."),
    "decline": N_("Only the closer can decline this engagement."),
}
_ONLY_BUSINESS = {
    "withdraw": N_("Only the business can withdraw this engagement."),
    "change the rate of": N_("Only the business can change the rate of this engagement."),
}


def percent_label(bps: int, language: str | None = None) -> str:
    """1250 → ``"12.5 %"`` in messages; ``"12,5 %"`` for a French reader (Babel's format, as the pages use).

    ``language`` defaults to the reader's; stored text passes ``"en"``.
    """
    language = language or reading_language()
    if language != "en":
        return format_percent(Decimal(bps) / 10000, locale=language, decimal_quantization=False)
    whole, rest = divmod(bps, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def clean_rate(raw: object) -> int:
    """A commission rate in basis points, 1000–2000 (10–20 %)."""
    if type(raw) is not int or not RATE_MIN_BPS <= raw <= RATE_MAX_BPS:
        raise _fail(
            "commission_rate_bps",
            _(
                "The commission must be between %(low)s and %(high)s (%(low_bps)d–%(high_bps)d bps).",
                low=percent_label(RATE_MIN_BPS),
                high=percent_label(RATE_MAX_BPS),
                low_bps=RATE_MIN_BPS,
                high_bps=RATE_MAX_BPS,
            ),
        )
    return raw


def clean_basis(raw: object) -> CommissionBasis:
    """``contract_value`` (the default) or ``cash_collected``."""
    if raw in (None, ""):
        return CommissionBasis.CONTRACT_VALUE
    try:
        return CommissionBasis(str(raw))
    except ValueError:
        raise _fail("commission_basis", _("The commission basis is contract_value or cash_collected.")) from None


def _closer(session: Session, closer_id: object) -> User:
    user = get_by_id(session, User, closer_id)
    # Businesses engage only closers an admin has verified; one still in vetting is answered
    # exactly like an unknown id, so a guessed id reveals neither the closer nor their name.
    if (
        user is None
        or user.role != Role.CLOSER
        or user.status != AccountStatus.ACTIVE
        or not is_approved(session, user.id)
    ):
        raise _fail("closer_id", _("There is no closer with this id."))
    return user


def _audit(
    session: Session, actor: User, engagement: Engagement, action: str, before: dict[str, object], *, now: datetime
) -> None:
    """One audit row per transition: the status (and rate) before and after."""
    after: dict[str, object] = _state(engagement)
    reason = engagement.decline_reason or engagement.end_reason
    if reason:
        after["reason"] = reason
    record(session, actor=actor, action=f"engagement.{action}", obj=engagement, before=before, after=after, now=now)
    if action in ("accepted", "declined"):  # the contract's engagement event types
        emit(session, engagement.business_id, f"engagement.{action}", engagement, now=now)


def _state(engagement: Engagement) -> dict[str, object]:
    return {
        "status": engagement.status,
        "commission_rate_bps": engagement.commission_rate_bps,
        "commission_basis": engagement.commission_basis,
    }


def _closer_min_rate(session: Session, closer: User) -> int:
    minimum = session.scalar(select(CloserProfile.min_rate_bps).where(CloserProfile.user_id == closer.id))
    return minimum if minimum is not None else RATE_MIN_BPS


def _own_offer(session: Session, actor: User, offer_id: object) -> Offer:
    offer = get_by_id(session, Offer, offer_id)
    if offer is None or offer.business_id != actor.business_id:  # another tenant's offer reads as missing
        raise _fail("offer_id", _("There is no offer with this id in your business."))
    if not offer.is_active:
        raise _fail(
            "offer_id", _("The offer %(offer)s is inactive; activate it before proposing it.", offer=repr(offer.name))
        )
    return offer


def _require_business_member(actor: User) -> None:
    if actor.business_id is None:
        raise PermissionDenied(_("Only members of a business can propose engagements."))


def _open_engagement(session: Session, closer_id: int, offer_id: int) -> Engagement | None:
    return session.scalar(
        select(Engagement).where(
            Engagement.closer_id == closer_id,
            Engagement.offer_id == offer_id,
            Engagement.status.in_(OPEN_STATUSES),
        )
    )


def _already_open(existing: Engagement) -> Conflict:
    if existing.status == EngagementStatus.PROPOSED:
        template = N_(
            "This offer is already proposed to this closer (engagement #%(id)d). "
            "To change the rate, propose a new rate on that engagement."
        )
    else:
        template = N_(
            "This offer is already active with this closer (engagement #%(id)d). "
            "To change the rate, propose a new rate on that engagement."
        )
    return Conflict(
        _(template, id=existing.id),
        field_errors={"offer_id": _("Already proposed to or active with this closer.")},
        code="engagement_exists",
    )


def _validate_proposal(
    session: Session, actor: User, *, closer_id: object, offer_id: object, rate: object
) -> tuple[User, Offer, int]:
    """The closer, the offer and the rate of a proposal, or one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    closer: User | None = None
    offer: Offer | None = None
    checked_rate: int | None = None
    try:
        closer = _closer(session, closer_id)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    try:
        offer = _own_offer(session, actor, offer_id)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    try:
        checked_rate = clean_rate(rate)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if closer is not None and checked_rate is not None:
        minimum = _closer_min_rate(session, closer)
        if checked_rate < minimum:
            errors["commission_rate_bps"] = _(
                "%(name)s accepts engagements from %(rate)s (%(bps)d bps); propose at least that.",
                name=closer.name,
                rate=percent_label(minimum),
                bps=minimum,
            )
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(message, field_errors=errors)
    assert closer is not None and offer is not None and checked_rate is not None
    return closer, offer, checked_rate


def _insert_proposal(
    session: Session,
    actor: User,
    closer: User,
    offer: Offer,
    rate: int,
    previous: Engagement | None,
    now: datetime,
    basis: CommissionBasis = CommissionBasis.CONTRACT_VALUE,
) -> Engagement:
    """Insert a proposed engagement (no commit); an open one for the same (closer, offer) is a 409."""
    existing = _open_engagement(session, closer.id, offer.id)
    if existing is not None:
        raise _already_open(existing)
    engagement = Engagement(
        business_id=offer.business_id,
        offer_id=offer.id,
        closer_id=closer.id,
        commission_rate_bps=rate,
        commission_basis=basis,
        status=EngagementStatus.PROPOSED,
        previous_id=previous.id if previous is not None else None,
        proposed_at=now,
        proposed_by_id=actor.id,
    )
    session.add(engagement)
    try:
        session.flush()  # the partial unique index settles a race the check above could not see
    except IntegrityError:
        session.rollback()
        raise Conflict(
            _("This offer is already proposed to or active with this closer."), code="engagement_exists"
        ) from None
    return engagement


def propose(
    session: Session,
    actor: User,
    *,
    closer_id: object,
    offer_id: object,
    commission_rate_bps: object,
    now: datetime,
    commission_basis: object = None,
) -> Engagement:
    """A business proposes one of its active offers to a closer at a rate within 10–20 % and the closer's minimum,
    on contract value (the default) or on cash collected."""
    _require_business_member(actor)
    closer, offer, rate = _validate_proposal(
        session, actor, closer_id=closer_id, offer_id=offer_id, rate=commission_rate_bps
    )
    basis = clean_basis(commission_basis)
    engagement = _insert_proposal(session, actor, closer, offer, rate, previous=None, now=now, basis=basis)
    _audit(session, actor, engagement, "proposed", {}, now=now)
    _notify(session, engagement, "engagement_proposed", actor, now=now)
    session.commit()
    return engagement


def find_engagement(session: Session, engagement_id: object, viewer: User | None) -> Engagement:
    """An engagement ``viewer`` may see; NotFound (404) for a missing one and for anyone else's."""
    engagement = get_by_id(session, Engagement, engagement_id)
    if engagement is None or not engagement.can_view(viewer):
        raise NotFound(_("Engagement not found."))
    return engagement


def _illegal(engagement: Engagement, action: str) -> Conflict:
    return Conflict(_(_CANNOT_BE[action], status=_(engagement.status.value)), code="illegal_transition")


def _as_closer(session: Session, actor: User, engagement_id: object, action: str) -> Engagement:
    engagement = find_engagement(session, engagement_id, actor)
    if actor.id != engagement.closer_id:
        raise PermissionDenied(_(_ONLY_CLOSER[action]))
    return engagement


def accept(session: Session, actor: User, engagement_id: object, *, now: datetime) -> Engagement:
    """The closer accepts a proposal: the engagement becomes active and bookable."""
    engagement = _as_closer(session, actor, engagement_id, "accept")
    if engagement.status != EngagementStatus.PROPOSED:
        raise _illegal(engagement, "accepted")
    before = _state(engagement)
    engagement.status = EngagementStatus.ACTIVE
    engagement.accepted_at = now
    _audit(session, actor, engagement, "accepted", before, now=now)
    _notify(session, engagement, "engagement_accepted", actor, now=now)
    session.commit()
    return engagement


def decline(session: Session, actor: User, engagement_id: object, reason: object, *, now: datetime) -> Engagement:
    """The closer turns a proposal down and says why (the business reads the reason)."""
    engagement = _as_closer(session, actor, engagement_id, "decline")
    if engagement.status != EngagementStatus.PROPOSED:
        raise _illegal(engagement, "declined")
    text = clean_text(reason, "reason", REASON_MAX, multiline=True)
    if not text:
        raise _fail("reason", _("Say why you decline: the business reads it."))
    before = _state(engagement)
    engagement.status = EngagementStatus.DECLINED
    engagement.declined_at = now
    engagement.decline_reason = text
    _audit(session, actor, engagement, "declined", before, now=now)
    _notify(session, engagement, "engagement_declined", actor, now=now)
    session.commit()
    return engagement


def _as_business(session: Session, actor: User, engagement_id: object, action: str) -> Engagement:
    engagement = find_engagement(session, engagement_id, actor)
    if actor.business_id != engagement.business_id:
        raise PermissionDenied(_(_ONLY_BUSINESS[action]))
    return engagement


def withdraw(session: Session, actor: User, engagement_id: object, *, now: datetime) -> Engagement:
    """The business takes back a proposal the closer has not answered yet."""
    engagement = _as_business(session, actor, engagement_id, "withdraw")
    if engagement.status != EngagementStatus.PROPOSED:
        raise _illegal(engagement, "withdrawn")
    before = _state(engagement)
    engagement.status = EngagementStatus.WITHDRAWN
    engagement.withdrawn_at = now
    engagement.withdrawn_by_id = actor.id
    _audit(session, actor, engagement, "withdrawn", before, now=now)
    _notify(session, engagement, "engagement_withdrawn", actor, now=now)
    session.commit()
    return engagement


def end(session: Session, actor: User, engagement_id: object, reason: object = None, *, now: datetime) -> Engagement:
    """Either side (or an admin) ends an active engagement; no booking is possible afterwards."""
    engagement = find_engagement(session, engagement_id, actor)
    if not (actor.id == engagement.closer_id or actor.business_id == engagement.business_id or actor.is_admin):
        raise PermissionDenied(_("Only the closer or the business can end this engagement."))
    if engagement.status != EngagementStatus.ACTIVE:
        if engagement.status == EngagementStatus.PROPOSED:
            message = _("An engagement that is proposed cannot be ended. Withdraw or decline a proposal instead.")
        else:
            message = _("An engagement that is %(status)s cannot be ended.", status=_(engagement.status.value))
        raise Conflict(message, code="illegal_transition")
    text = clean_text(reason, "reason", REASON_MAX, multiline=True) or None
    before = _state(engagement)
    _close(engagement, actor, text, now)
    _audit(session, actor, engagement, "ended", before, now=now)
    _notify(session, engagement, "engagement_ended", actor, now=now)
    session.commit()
    return engagement


def _close(engagement: Engagement, actor: User, reason: str | None, now: datetime) -> None:
    engagement.status = EngagementStatus.ENDED
    engagement.ended_at = now
    engagement.ended_by_id = actor.id
    engagement.end_reason = reason


def change_rate(
    session: Session,
    actor: User,
    engagement_id: object,
    commission_rate_bps: object,
    *,
    now: datetime,
    commission_basis: object = None,
) -> Engagement:
    """Propose a new rate for an open engagement: a NEW engagement, the current one closes.

    An active engagement ends (reason: the new proposal) and a proposed one is withdrawn;
    the new one is proposed and points at it (``previous_id``). Booking waits for the
    closer to accept the new rate.
    """
    current = _as_business(session, actor, engagement_id, "change the rate of")
    if not current.is_open:
        raise _illegal(current, "given a new rate")
    basis = current.commission_basis if commission_basis in (None, "") else clean_basis(commission_basis)
    if commission_rate_bps == current.commission_rate_bps and basis == current.commission_basis:
        raise _fail(
            "commission_rate_bps", _("The rate is already %(rate)s.", rate=percent_label(current.commission_rate_bps))
        )
    closer, offer, rate = _validate_proposal(
        session, actor, closer_id=current.closer_id, offer_id=current.offer_id, rate=commission_rate_bps
    )
    previous_status = current.status
    before = _state(current)
    if current.status == EngagementStatus.ACTIVE:
        _close(current, actor, f"Replaced by a proposal at {percent_label(rate, 'en')}.", now)
    else:
        current.status = EngagementStatus.WITHDRAWN
        current.withdrawn_at = now
        current.withdrawn_by_id = actor.id
    session.flush()  # free the (closer, offer) slot of the partial unique index first
    _audit(session, actor, current, "replaced", before, now=now)
    engagement = _insert_proposal(session, actor, closer, offer, rate, previous=current, now=now, basis=basis)
    _audit(session, actor, engagement, "rate_changed", {**before, "engagement_id": current.id}, now=now)
    _notify(
        session, engagement, "engagement_proposed", actor, previous=current, previous_status=previous_status, now=now
    )
    session.commit()
    return engagement


def require_active_engagement(
    session: Session, engagement_id: object, business_id: int, *, lock: bool = False
) -> Engagement:
    """The engagement booking needs: it belongs to ``business_id`` (else NotFound), and it and its offer
    are active (else Conflict, code ``engagement_not_active`` or ``offer_inactive``).

    ``lock=True`` takes a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL) so the
    engagement cannot end between this check and the booking's insert; SQLite writers
    already hold the database write lock.
    """
    engagement = None
    if is_plausible_id(engagement_id):
        # With its closer and offer (read below) in the same statement; a locked read refreshes
        # what the session already holds, since the row may have changed before the lock.
        stmt = (
            select(Engagement)
            .where(Engagement.id == engagement_id)
            .options(joinedload(Engagement.closer), joinedload(Engagement.offer))
        )
        if lock:
            stmt = stmt.with_for_update(of=Engagement).execution_options(populate_existing=True)
        engagement = session.scalar(stmt)
    return check_active_engagement(engagement, business_id)


def check_active_engagement(engagement: Engagement | None, business_id: int) -> Engagement:
    """``require_active_engagement``'s checks on an engagement already read (with its closer and offer)."""
    if engagement is None or engagement.business_id != business_id:
        raise NotFound(_("Engagement not found."))
    if engagement.closer.status != AccountStatus.ACTIVE:  # a suspended closer takes no new calls
        raise Conflict(
            _("%(name)s is not available for booking at the moment.", name=engagement.closer.name),
            field_errors={"engagement_id": _("The closer is not available.")},
            code="closer_unavailable",
        )
    if engagement.status != EngagementStatus.ACTIVE:
        raise Conflict(
            _(
                "Calls can only be booked on an active engagement; this one is %(status)s.",
                status=_(engagement.status.value),
            ),
            field_errors={"engagement_id": _("The engagement is not active.")},
            code="engagement_not_active",
        )
    if not engagement.offer.is_active:
        raise Conflict(
            _("The offer %(offer)s is inactive; activate it to book calls.", offer=repr(engagement.offer.name)),
            field_errors={"engagement_id": _("The offer is inactive.")},
            code="offer_inactive",
        )
    return engagement
