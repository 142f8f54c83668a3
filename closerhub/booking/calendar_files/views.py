"""Calendar pages: a closer's private ICS feed (no login: the key is the credential) and its settings page.

The single-appointment download for API clients is ``calendar_api``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import closer_required
from closerhub.booking.calendar_files import feed as calendar_feed
from closerhub.core.errors import NotFound
from closerhub.extensions import db, limiter
from closerhub.notifications.service import public_url

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

ICS_MIMETYPE = "text/calendar"
ACTIONS = ("create", "regenerate", "revoke")


class FeedActionForm(FlaskForm):
    """Create, regenerate or revoke the feed URL (the CSRF token and which action)."""

    action = HiddenField()


def ics_response(data: bytes, filename: str) -> Response:
    """An ICS document, shown inline (calendar apps and browsers both handle it), never cached by proxies."""
    response = Response(data, mimetype=ICS_MIMETYPE)
    response.charset = "utf-8"  # type: ignore[attr-defined]  # werkzeug's stubs omit it
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<key>.ics")
@limiter.limit("120 per minute")  # calendar apps poll every few minutes at most; this only slows guessing
def feed(key: str) -> Response:
    """The closer's schedule as a subscribable calendar: 404 for an unknown or revoked key."""
    try:
        data = calendar_feed.feed_for_key(db.session, key, now=clock.utcnow())
    except NotFound:
        abort(404)
    return ics_response(data, "closerhub.ics")


def _me() -> User:
    return current_user


def _render(form: FeedActionForm, status: int = 200) -> tuple[str, int]:
    key = calendar_feed.feed_key(db.session, _me())
    feed_url = public_url("calendar.feed", key=key) if key else None
    webcal_url = "webcal://" + feed_url.split("://", 1)[1] if feed_url else None
    return render_template(
        "calendar/settings.html",
        form=form,
        feed_url=feed_url,
        webcal_url=webcal_url,
        past_days=calendar_feed.FEED_PAST_DAYS,
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@closer_required
def settings() -> ResponseReturnValue:
    """Show the closer's feed URL with instructions; create, regenerate or revoke it."""
    form = FeedActionForm()
    if request.method == "GET":
        return _render(form)
    action = (form.action.data or "").strip()
    if not form.validate_on_submit() or action not in ACTIONS:
        form.form_errors.append(_("Choose one of the buttons: create, regenerate or revoke the feed URL."))
        flash(_("Nothing was changed."), "error")
        return _render(form, 400)
    now = clock.utcnow()
    if action == "create":
        calendar_feed.create_feed_key(db.session, _me(), now=now)
        flash(_("Your calendar feed is ready: copy its URL into your calendar app."), "success")
    elif action == "regenerate":
        calendar_feed.regenerate_feed_key(db.session, _me(), now=now)
        flash(_("New feed URL created. The old URL no longer works: update your calendar apps."), "success")
    else:
        calendar_feed.revoke_feed_key(db.session, _me(), now=now)
        flash(_("Your calendar feed is turned off. Its URL no longer works."), "success")
    return redirect(url_for(".settings"))
