"""The closer's reviews page: every review businesses left them, each with its one answer (or the form for it).

Thin views over ``outcomes.reviews``: the answer is written once; an empty or too long one
shows the page again with the message and changes nothing; another closer's review is a 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import closer_required
from closerhub.core.errors import DomainError
from closerhub.extensions import db
from closerhub.forms_util import show_errors
from closerhub.outcomes import reviews
from closerhub.outcomes.forms import ReplyForm
from closerhub.outcomes.views import bp

REVIEWS_LIMIT = 200


def _me() -> User:
    return current_user


def _render(status: int = 200, forms: dict[int, ReplyForm] | None = None) -> tuple[str, int]:
    me = _me()
    items = reviews.closer_reviews(db.session, me.id, limit=REVIEWS_LIMIT)
    return render_template(
        "outcomes/reviews.html",
        reviews=items,
        businesses=reviews.business_names(db.session, items),
        rating=reviews.closer_rating(db.session, me.id),
        forms=forms or {},
        blank_form=ReplyForm(formdata=None),
    ), status


@bp.get("/reviews")
@closer_required
def my_reviews() -> tuple[str, int]:
    """The closer's reviews, newest first, with their average rating and a reply form under each unanswered one."""
    return _render()


@bp.post("/reviews/<int:review_id>/reply")
@closer_required
def reply_review(review_id: int) -> Response | tuple[str, int]:
    """The reviewed closer answers a review, once (the answer shows on their public profile)."""
    form = ReplyForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _render(422, {review_id: form})
    try:
        reviews.reply(db.session, _me(), review_id, form.reply.data, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(404)  # someone else's review is as missing as an unknown one
        show_errors(form, exc)
        flash(exc.message, "error")
        return _render(exc.status, {review_id: form})
    flash(_("Your answer is published under the review."), "success")
    return redirect(url_for("outcomes.my_reviews"))
