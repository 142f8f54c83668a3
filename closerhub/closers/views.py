"""Closer pages: the public profile and the closer's own profile editor (availability: ``availability_views``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import closer_required, login_required
from closerhub.closers import availability_service as availability
from closerhub.closers import service
from closerhub.closers.commands import ProfileData
from closerhub.closers.forms import EXTRA_LANGUAGE_ROWS, ProfileForm, bps_to_percent, percent_to_bps
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import DomainError, NotFound, ValidationError
from closerhub.core.tz import to_local, utc_offset_label
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.i18n import current_locale, zone_options

bp = Blueprint("closers", __name__, url_prefix="/closers")

PROFILE_REVIEWS = 10  # the latest reviews on the public profile (the closer's own page lists them all)


@bp.get("/<int:closer_id>")
@login_required
def show(closer_id: int) -> str:
    """A closer's public profile, as a business sees it (any logged-in user)."""
    now = clock.utcnow()
    try:
        card = service.find_closer(db.session, closer_id, current_user, now)
    except NotFound:
        abort(404)
    zone = card.user.timezone
    shown_reviews, review_businesses = service.profile_reviews(db.session, card.user.id, PROFILE_REVIEWS)
    return render_template(
        "closers/show.html",
        card=card,
        profile=card.profile,
        closer=card.user,
        stats=card.stats,
        is_me=card.user.id == current_user.id,
        local_now=to_local(now, zone),
        offset=utc_offset_label(now, zone),
        rate=bps_to_percent(card.profile.min_rate_bps),
        next_available_at=availability.next_available_at(db.session, card.user, now),
        language_name=lambda code: service.language_name(code, current_locale()),
        industries=INDUSTRIES,
        reviews=shown_reviews,
        review_businesses=review_businesses,
    )


def _profile_form(user: User) -> ProfileForm:
    """The editor filled from the saved profile, with blank language rows to add more."""
    profile = service.find_closer(db.session, user.id, user, clock.utcnow()).profile
    data = {
        "headline": profile.headline,
        "bio": profile.bio,
        "languages": [{"code": row.code, "level": row.level.value} for row in profile.languages],
        "industries": [row.industry for row in profile.industries],
        "years_experience": profile.years_experience,
        "timezone": user.timezone,
        "min_rate_percent": bps_to_percent(profile.min_rate_bps),
        "phone": profile.phone_e164 or "",
        "meeting_mode": profile.meeting_mode.value,
        "meeting_url": profile.meeting_url or "",
        "photo_url": profile.photo_url or "",
    }
    form = ProfileForm(formdata=None, data=data)
    for _i in range(EXTRA_LANGUAGE_ROWS if profile.languages else EXTRA_LANGUAGE_ROWS + 1):
        form.languages.append_entry()
    return form


def _render_profile_form(form: ProfileForm, status: int = 200) -> tuple[str, int]:
    form.setup_choices(current_locale())
    return render_template("closers/edit_profile.html", form=form, zones=zone_options(clock.utcnow())), status


@bp.route("/me/profile", methods=["GET", "POST"])
@closer_required
def edit_profile() -> Response | tuple[str, int]:
    """The closer edits their own profile: all fields saved together, or the form again with every error."""
    user: User = current_user
    if request.method == "GET":
        return _render_profile_form(_profile_form(user))
    form = ProfileForm()
    if "add_language" in request.form:  # the "add a language" button: one more row, nothing saved
        form.languages.append_entry()
        return _render_profile_form(form)
    form.setup_choices(current_locale())
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _render_profile_form(form, 422)
    try:
        rate: int | None = percent_to_bps(form.min_rate_percent.data)
        unread: dict[str, str] = {}
    except ValidationError as exc:  # the service still checks every other field; this message replaces its own
        rate, unread = None, exc.field_errors
    try:
        service.update_profile(db.session, user, form.profile(rate), now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        exc.field_errors.update(unread)
        show_errors(form, exc, ProfileData)
        return _render_profile_form(form, 422)
    flash(_("Profile saved."), "success")
    return redirect(url_for("closers.show", closer_id=user.id))
