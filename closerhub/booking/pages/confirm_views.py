"""The confirm step of the prospect's booking page: their details, the offer's questions, the guests,
the consents and the channel; POST books the slot through ``service.book`` (the same function as the API).

A slot taken in the meantime is never an error page: the step comes back with the three nearest
free times as buttons. Anonymous by design: the form is guarded by ``form_token`` (no session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.booking import consents, service
from closerhub.booking.commands import BookingRequest
from closerhub.booking.forms import ANSWER_MAX, ProspectForm
from closerhub.booking.guard import SlotUnavailable
from closerhub.booking.guests import guest_rows, guests_from_form
from closerhub.booking.models import BookedVia
from closerhub.booking.pages import form_token, page_data, prospect
from closerhub.booking.pages.display import is_night, iso_z, parse_start, parse_zone, when_label
from closerhub.booking.pages.views import (
    _all_hours,
    _closer_choice,
    _offer_or_404,
    _slots_page,
    _without,
    bp,
    public_booking_limit,
)
from closerhub.businesses.models import Offer
from closerhub.core.errors import DomainError
from closerhub.extensions import csrf, db
from closerhub.forms_util import show_errors
from closerhub.i18n import current_locale, zone_options


def _answers(offer: Offer) -> tuple[dict[str, str], dict[str, str]]:
    """The prospect's answers to the offer's questions (``answer_<n>``), and the fields left bad."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for i, question in enumerate(offer.booking_questions or []):
        text = " ".join((request.form.get(f"answer_{i}") or "").split()) if request.method == "POST" else ""
        if request.method == "POST" and not text:
            errors[f"answer_{i}"] = _("Please answer this question.")
        elif len(text) > ANSWER_MAX:
            errors[f"answer_{i}"] = _("At most %(n)d characters.", n=ANSWER_MAX)
        answers[question] = text
    return answers, errors


@bp.route("/book/<key>/confirm", methods=["GET", "POST"])
@public_booking_limit()
def confirm(key: str) -> ResponseReturnValue:
    """The prospect's details, the offer's questions and the channel; POST books the slot.

    Always the anonymous prospect's: a signed-in user's session is not used here (``form_token``).
    """
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    offer = _offer_or_404(key)
    now = clock.utcnow()
    zone, zone_error = parse_zone(request.args.get("tz"), offer.business.timezone)
    closer_id, _closers, closer_error = _closer_choice(offer, request.args.get("closer"))
    raw_start = request.form.get("alt_start") or request.form.get("start") or request.args.get("start")
    start = parse_start(raw_start)
    if start is None:
        message = _("That time could not be read. Pick one of the free times below.")
        return _slots_page(offer, start_error=message, status=400)

    form = ProspectForm(meta={"csrf": False})  # ``form_token`` instead: the session may not reach an embed
    form.timezone.choices = zone_options(now, zone)
    funnel = prospect.funnel_query()
    if not form.is_submitted():
        form.timezone.data = zone
        form.language.data = current_locale()  # emails in the language the page is read in (was: English)
        form.name.data, form.email.data, form.phone.data = funnel["name"], funnel["email"], funnel["phone"]
    form.start.data = iso_z(start)
    answers, answer_errors = _answers(offer)
    context: dict[str, Any] = {
        "zone": zone,
        "closer_id": closer_id,
        "notes": [e for e in (zone_error, closer_error) if e],
    }

    if request.method == "GET":
        free, alternatives = page_data.offer_start_status(
            db.session, offer, start, zone=zone, now=now, closer_id=closer_id, without=_without(offer)
        )
        return _confirm_page(
            offer, form, start, answers, answer_errors={}, taken=not free, alternatives=alternatives, **context
        )

    if _form_token_checked() and not form_token.is_valid(_secret(), key, request.form.get("booking_token"), now):
        flash(_("This form is too old or was not made here. Check your details and book again."), "error")
        return _confirm_page(offer, form, start, answers, {}, status=400, **context)
    valid = form.validate_on_submit()
    consent = {"sms": bool(form.sms_consent.data), "recording": bool(form.recording_consent.data)}
    jurisdiction, consent_errors = consents.check(offer, phone=form.phone.data, **consent)
    for name, message in consent_errors.items():
        getattr(form, name).errors = [message]
    if not valid or answer_errors or consent_errors:
        flash(_("Please correct the highlighted fields."), "error")
        return _confirm_page(offer, form, start, answers, answer_errors, status=422, **context)

    booking = BookingRequest(
        start=start,
        channel=form.channel.data,
        lead=form.details(source=prospect.lead_source(funnel)),
        closer_id=closer_id,
        answers=answers,
        guests=guests_from_form(request.form.getlist("guest_name"), request.form.getlist("guest_email")),
    )
    try:
        appointment = service.book(
            db.session, booking, offer=offer, actor=None, via=BookedVia.BOOKING_PAGE, now=now, without=_without(offer)
        )
    except SlotUnavailable as exc:
        db.session.rollback()
        alternatives = page_data.alternative_starts(exc)
        return _confirm_page(
            offer, form, start, answers, {}, taken=True, race=True, alternatives=alternatives, status=409, **context
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        show_errors(form, exc, BookingRequest)
        return _confirm_page(offer, form, start, answers, {}, status=exc.status, **context)
    consents.record(db.session, appointment, phone=form.phone.data, jurisdiction=jurisdiction, now=now, **consent)
    token = service.manage_token(appointment)
    return redirect(url_for("booking_public.done", key=key, token=token, embed=funnel["embed"], lang=funnel["lang"]))


def _secret() -> str:
    return str(current_app.secret_key or "")


def _form_token_checked() -> bool:
    """The form token replaces the session's CSRF token, under the same switch (off in the testing profile)."""
    return bool(current_app.config.get("WTF_CSRF_ENABLED", True))


csrf.exempt(confirm)  # anonymous, no ambient authority; ``form_token`` guards it (module docstring there)


def _confirm_page(
    offer: Offer,
    form: ProspectForm,
    start: datetime,
    answers: dict[str, str],
    answer_errors: dict[str, str],
    *,
    zone: str,
    closer_id: int | None,
    notes: list[str],
    taken: bool = False,
    race: bool = False,
    alternatives: list[datetime] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The confirm step; ``taken`` adds the "just taken" message and the nearest free times as buttons."""
    end = page_data.offer_slot_end(offer, start)
    prospect.prospect_page(offer.business)
    return render_template(
        "booking/confirm.html",
        offer=offer,
        consent_texts={"sms": consents.SMS_CONSENT_TEXT, "recording": consents.RECORDING_CONSENT_TEXT},
        business=offer.business,
        brand_key=offer.booking_key,
        call_closer=page_data.closer_card(db.session, closer_id) if closer_id else None,
        form=form,
        booking_token=form_token.issue(_secret(), offer.booking_key, clock.utcnow()),
        start=start,
        summary=when_label(start, end, zone),
        zone=zone,
        closer=db.session.get(User, closer_id) if closer_id else None,
        questions=list(enumerate(offer.booking_questions or [])),
        guest_rows=guest_rows(request.form.getlist("guest_name"), request.form.getlist("guest_email")),
        answers=answers,
        answer_errors=answer_errors,
        notes=notes,
        taken=taken,
        race=race,
        alternatives=[
            {"start": iso_z(a), "label": when_label(a, None, zone), "night": is_night(a, zone)}
            for a in alternatives or []
        ],
        night=is_night(start, zone),
        query={
            "tz": zone,
            "closer": closer_id,
            "hours": "all" if _all_hours() else None,
            "without": _without(offer),
            **prospect.funnel_query(),
        },
    ), status
