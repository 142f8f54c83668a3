"""The booking page's two consents: SMS reminders (a box, unticked by default) and call recording.

- SMS: ticking the box needs a phone number. The consent (when, and the words shown, in the page's
  language) is stored on the lead for the number it was given for (``Lead.sms_consent_phone``),
  and only when the lead holds that number: a public caller cannot opt in a number the business
  holds for someone else. A changed number on the lead stops the texts until a new consent.
- Recording (the offer's ``calls_recorded``): the page says the call is recorded; where every
  party must agree (``core.recording_consent``: from the phone number, unknown counts as yes),
  the box is required. The consent and the jurisdiction are stored on the appointment and shown
  to the closer on the call's page.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from closerhub.booking.models import Appointment
from closerhub.businesses.models import Offer
from closerhub.core.errors import ValidationError
from closerhub.core.recording_consent import jurisdiction_of, needs_explicit_consent
from closerhub.leads.cleaning import clean_lead_phone

SMS_CONSENT_TEXT = _l(
    "Text me reminders about this call at this number (two at most, never between 21:00 and 08:00). "
    "Reply STOP to stop them, START to resume."
)
RECORDING_CONSENT_TEXT = _l("I agree that this call is recorded.")


def _phone(raw: str | None) -> str | None:
    try:
        return clean_lead_phone(raw)
    except ValidationError:
        return None  # the booking itself reports a bad number


def check(offer: Offer, *, phone: str | None, sms: bool, recording: bool) -> tuple[str | None, dict[str, str]]:
    """The jurisdiction, and the field errors of the consent boxes (empty: fine)."""
    errors: dict[str, str] = {}
    number = _phone(phone)
    if sms and number is None:
        errors["sms_consent"] = _("Give your phone number, with the country code, to get text reminders.")
    jurisdiction = jurisdiction_of(number)
    if offer.calls_recorded and not recording and needs_explicit_consent(jurisdiction):
        errors["recording_consent"] = _(
            "This call is recorded: where you are, it needs your explicit consent. Tick the box to book."
        )
    return jurisdiction, errors


def record(
    session: Session,
    appointment: Appointment,
    *,
    phone: str | None,
    sms: bool,
    recording: bool,
    jurisdiction: str | None,
    now: datetime,
) -> None:
    """Store what the prospect agreed to (after the booking); commits."""
    number = _phone(phone)
    lead = appointment.lead
    if sms and number is not None and lead.phone_e164 == number:
        lead.sms_consent_at, lead.sms_consent_text, lead.sms_consent_phone = now, str(SMS_CONSENT_TEXT), number
    if appointment.offer.calls_recorded:
        appointment.recording_jurisdiction = jurisdiction
        if recording:
            appointment.recording_consent_at = now
    session.commit()
