"""Stored codes as people read them: one label per enum value, in the reader's language.

A status, a result, a role or a reason is stored as a code (``won``, ``manual_due``, ``owner``)
that the API returns as is; pages and emails show its label instead (``{{ o.result|label }}``,
``label(value)`` in Python). The English labels are marked here for extraction and translated
when shown; a code without a label (a new enum value) shows as itself, and a test renders the
demo in French and fails on any code left in a page.
"""

from __future__ import annotations

import enum

from closerhub.core.i18n import N_, _

# (kind, code) → English label; ``kind`` is the enum's class name, or a name given by the caller.
LABELS: dict[str, dict[str, str]] = {
    "OutcomeResult": {
        "won": N_("Won"),
        "lost": N_("Lost"),
        "no_show": N_("No-show"),
        "follow_up": N_("Follow-up"),
        "not_a_fit": N_("Not a fit"),
    },
    "OutcomeStatus": {
        "recorded": N_("Waiting for confirmation"),
        "confirmed": N_("Confirmed"),
        "disputed": N_("Disputed"),
        "resolved": N_("Resolved"),
        "voided": N_("Voided"),
    },
    "OutcomeChange": {
        "corrected": N_("corrected by the closer"),
        "voided": N_("voided by an admin"),
        "adjusted": N_("adjusted by an admin"),
        "confirmed_by_admin": N_("confirmed by an admin"),
    },
    "LostReason": {
        "price": N_("Price"),
        "timing": N_("Timing"),
        "authority": N_("Not the decision-maker"),
        "need": N_("No need"),
        "competitor": N_("Chose a competitor"),
        "trust": N_("Trust"),
        "other": N_("Other"),
    },
    "Technique": {
        "assumptive": N_("Assumptive close"),
        "alternative_choice": N_("Alternative choice"),
        "summary": N_("Summary close"),
        "direct_ask": N_("Direct ask"),
        "trial_close": N_("Trial close"),
        "other": N_("Other"),
    },
    "AppointmentStatus": {
        "booked": N_("Booked"),
        "cancelled": N_("Cancelled"),
        "completed": N_("Completed"),
        "no_show": N_("No-show"),
    },
    "Channel": {"phone": N_("Phone"), "video": N_("Video")},
    "EngagementStatus": {
        "proposed": N_("Proposed"),
        "active": N_("Active"),
        "declined": N_("Declined"),
        "withdrawn": N_("Withdrawn"),
        "ended": N_("Ended"),
    },
    "Role": {"admin": N_("Admin"), "business": N_("Business"), "closer": N_("Closer")},
    "MemberRole": {"owner": N_("Owner"), "member": N_("Member")},
    "AccountStatus": {"active": N_("Active"), "suspended": N_("Suspended")},
    "LanguageLevel": {"native": N_("Native"), "fluent": N_("Fluent"), "working": N_("Working")},
    "VettingStatus": {
        "in_review": N_("In review"),
        "approved": N_("Approved"),
        "changes_requested": N_("Changes requested"),
        "rejected": N_("Rejected"),
    },
    "ChargeStatus": {
        "pending": N_("Pending"),
        "processing": N_("Processing"),
        "succeeded": N_("Paid"),
        "requires_action": N_("Needs authentication"),
        "failed": N_("Failed"),
        "refunded": N_("Refunded"),
        "partially_refunded": N_("Partly refunded"),
        "disputed": N_("Disputed"),
        "manual_due": N_("Due by bank transfer"),
        "manual_paid": N_("Paid by bank transfer"),
        "cancelled": N_("Cancelled, nothing due"),
    },
    "PayoutStatus": {
        "pending": N_("Pending"),
        "sending": N_("Sending"),
        "paid": N_("Paid"),
        "failed": N_("Failed"),
        "manual_pending": N_("To pay by bank"),
        "manual_paid": N_("Paid by bank"),
        "reversed": N_("Reversed"),
    },
    "Bucket": {"pending": N_("Pending"), "available": N_("Available"), "paid": N_("Paid")},
    "EntryKind": {
        "earned": N_("Earned"),
        "released": N_("Released"),
        "paid_out": N_("Paid out"),
        "reversal": N_("Reversal"),
        "adjustment": N_("Adjustment"),
    },
    "InvitationStatus": {
        "pending": N_("Pending"),
        "accepted": N_("Accepted"),
        "revoked": N_("Revoked"),
        "expired": N_("Expired"),
    },
    "OutboxStatus": {
        "pending": N_("Pending"),
        "sending": N_("Sending"),
        "sent": N_("Sent"),
        "failed": N_("Failed"),
        "stored": N_("Stored"),
        "to_render": N_("To render"),
    },
    "RunStatus": {"running": N_("Running"), "finished": N_("Finished")},
}


def label(value: object, kind: str | None = None) -> str:
    """The label of a stored code in the reader's language: ``OutcomeResult.WON`` → ``Won`` / ``Gagné``.

    ``kind`` names the code's family when ``value`` is a plain string (``label("owner", "MemberRole")``).
    """
    if value is None:
        return ""
    code = value.value if isinstance(value, enum.Enum) else str(value)
    family = kind or (type(value).__name__ if isinstance(value, enum.Enum) else "")
    text = LABELS.get(family, {}).get(code) if family else _ANY_FAMILY.get(code)
    return _(text) if text else code


# A code given without its family (an audit value): the first family that knows it.
_ANY_FAMILY: dict[str, str] = {}
for _codes in LABELS.values():
    for _code, _text in _codes.items():
        _ANY_FAMILY.setdefault(_code, _text)
