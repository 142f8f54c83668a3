"""Engagement pages: propose to a closer, the list for either side, the detail page with its actions.

``GET/POST /engagements/new?closer_id=<id>`` is the stable link closer profiles and
search results use ("Propose an engagement"); without ``closer_id`` the page asks for the
closer first (the ones the business already proposed to, or the search).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.accounts.permissions import business_required, get_visible_or_404, login_required
from closerhub.businesses import offers as offers_service
from closerhub.closers import service as closer_service
from closerhub.closers.models import RATE_MIN_BPS, CloserProfile
from closerhub.commands import Command
from closerhub.core.errors import DomainError, ValidationError
from closerhub.db import get_by_id
from closerhub.engagements import queries, service
from closerhub.engagements.commands import Proposal, RateChange
from closerhub.engagements.forms import DeclineForm, EndForm, ProposeForm, RateForm, bps_to_percent, percent_to_bps
from closerhub.engagements.models import OPEN_STATUSES, Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.forms_util import ActionForm, show_errors

bp = Blueprint("engagements", __name__, url_prefix="/engagements")

LIST_LIMIT = 200
TABS = {
    "open": OPEN_STATUSES,
    "past": (EngagementStatus.DECLINED, EngagementStatus.WITHDRAWN, EngagementStatus.ENDED),
    "all": (),
}


@bp.app_template_global("open_engagements")
def open_engagements_global(user: User) -> list[Engagement]:
    """Proposed and active engagements of ``user`` (the dashboards' Engagements card)."""
    return service.open_engagements(db.session, user)


def _me() -> User:
    return current_user


def _read_rate(text: str | None) -> tuple[int | None, dict[str, str]]:
    """The percentage typed, in basis points; None and the error when it cannot be read.

    The service is still asked (it checks the other fields at once); the reading error then
    replaces its "out of range" message for the rate.
    """
    try:
        return percent_to_bps(text), {}
    except ValidationError as exc:
        return None, exc.field_errors


@bp.get("")
@login_required
def index() -> str:
    """The caller's engagements: open ones by default, or past / all."""
    tab = request.args.get("status", "open")
    if tab not in TABS:
        tab = "open"
    stmt = service.engagements_query(_me(), statuses=TABS[tab]).order_by(Engagement.id.desc()).limit(LIST_LIMIT)
    return render_template("engagements/index.html", engagements=list(db.session.scalars(stmt)), tab=tab)


def _closer_or_404(closer_id: int | None) -> tuple[User, int]:
    user = get_by_id(db.session, User, closer_id)
    if user is None or user.role != Role.CLOSER or user.status != AccountStatus.ACTIVE:
        abort(404)
    if not closer_service.may_see_closer(db.session, user, _me()):  # in vetting: unknown to businesses
        abort(404)
    minimum = db.session.scalar(select(CloserProfile.min_rate_bps).where(CloserProfile.user_id == user.id))
    return user, minimum if minimum is not None else RATE_MIN_BPS


def _pick_closer(raw: str) -> tuple[str, int]:
    """The first step when no closer is given: choose one already worked with, or search."""
    error = _("Choose a closer.") if raw.strip() or "closer_id" in request.args else None
    return render_template(
        "engagements/pick_closer.html",
        closers=queries.closers_worked_with(db.session, _me()),
        error=error,
    ), (422 if error else 200)


@bp.route("/new", methods=["GET", "POST"])
@business_required
def new() -> Response | tuple[str, int]:
    """Propose an engagement to the closer ``?closer_id=``: pick an offer and a commission."""
    raw_closer = request.args.get("closer_id", "")
    if not raw_closer.strip().isdigit():
        if request.method == "POST":
            abort(400)  # the proposal form always carries its closer; a bare POST is malformed
        return _pick_closer(raw_closer)
    closer, min_rate = _closer_or_404(int(raw_closer))
    active_offers = offers_service.list_offers(db.session, _me(), active_only=True)
    form = ProposeForm()
    form.offer_id.choices = [(o.id, o.name) for o in active_offers]
    status = 200
    if request.method == "GET":
        form.rate_percent.data = bps_to_percent(min_rate)
    elif form.validate_on_submit():
        rate, unread = _read_rate(form.rate_percent.data)
        try:
            engagement = service.propose(db.session, _me(), form.proposal(closer.id, rate), now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                abort(exc.status)
            exc.field_errors.update(unread)
            show_errors(form, exc, Proposal)
            status = exc.status
        else:
            flash(_("Proposal sent to %(name)s.", name=closer.name), "success")
            return redirect(url_for("engagements.show", engagement_id=engagement.id))
    else:
        flash(_("Please correct the highlighted fields."), "error")
        status = 422
    return render_template(
        "engagements/new.html", form=form, closer=closer, min_rate=min_rate, offers=active_offers
    ), status


def _history(engagement: Engagement) -> list[Engagement]:
    """Every engagement of the same closer and offer (rate changes), newest first."""
    stmt = (
        select(Engagement)
        .where(Engagement.closer_id == engagement.closer_id, Engagement.offer_id == engagement.offer_id)
        .order_by(Engagement.id.desc())
    )
    return list(db.session.scalars(stmt))


def _render_show(engagement: Engagement, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    user = _me()
    context: dict[str, FlaskForm] = {
        "decline_form": DeclineForm(formdata=None),
        "end_form": EndForm(formdata=None),
        "rate_form": RateForm(formdata=None),
        "action_form": ActionForm(formdata=None),
    }
    context.update(forms)
    return render_template(
        "engagements/show.html",
        engagement=engagement,
        offer=engagement.offer,
        business=engagement.business,
        closer=engagement.closer,
        is_closer=user.id == engagement.closer_id,
        is_business=user.business_id == engagement.business_id,
        history=_history(engagement),
        **context,
    ), status


@bp.get("/<int:engagement_id>")
@login_required
def show(engagement_id: int) -> tuple[str, int]:
    """The engagement, its offer (script included) and business, its history, and the caller's actions."""
    return _render_show(get_visible_or_404(Engagement, engagement_id))


def _act(
    engagement_id: int,
    form: FlaskForm,
    form_name: str,
    action: Callable[[FlaskForm], Engagement],
    done: Callable[[Engagement], str],
    command: type[Command] | None = None,
) -> Response | tuple[str, int]:
    """Run one transition from a POSTed form; errors show the detail page again and change nothing.

    ``command``: the command the action builds, whose ``form_names`` name its errors on the form.
    """
    engagement = get_visible_or_404(Engagement, engagement_id)
    csrf = getattr(form, "csrf_token", None)
    if not form.validate_on_submit():
        if csrf is not None and csrf.errors:
            abort(400)
        flash(_("Please correct the highlighted fields."), "error")
        return _render_show(engagement, 422, **{form_name: form})
    try:
        result = action(form)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        show_errors(form, exc, command)
        db.session.expire_all()
        return _render_show(get_visible_or_404(Engagement, engagement_id), exc.status, **{form_name: form})
    flash(done(result), "success")
    return redirect(url_for("engagements.show", engagement_id=result.id))


@bp.post("/<int:engagement_id>/accept")
@login_required
def accept(engagement_id: int) -> Response | tuple[str, int]:
    return _act(
        engagement_id,
        ActionForm(),
        "action_form",
        lambda form: service.accept(db.session, _me(), engagement_id, now=clock.utcnow()),
        lambda e: _("Engagement accepted: calls for “%(offer)s” can now be booked with you.", offer=e.offer.name),
    )


@bp.post("/<int:engagement_id>/decline")
@login_required
def decline(engagement_id: int) -> Response | tuple[str, int]:
    return _act(
        engagement_id,
        DeclineForm(),
        "decline_form",
        lambda form: service.decline(db.session, _me(), engagement_id, form.reason.data, now=clock.utcnow()),
        lambda e: _("Proposal declined; %(business)s has been told why.", business=e.business.name),
    )


@bp.post("/<int:engagement_id>/withdraw")
@login_required
def withdraw(engagement_id: int) -> Response | tuple[str, int]:
    return _act(
        engagement_id,
        ActionForm(),
        "action_form",
        lambda form: service.withdraw(db.session, _me(), engagement_id, now=clock.utcnow()),
        lambda e: _("Proposal withdrawn."),
    )


@bp.post("/<int:engagement_id>/end")
@login_required
def end(engagement_id: int) -> Response | tuple[str, int]:
    return _act(
        engagement_id,
        EndForm(),
        "end_form",
        lambda form: service.end(db.session, _me(), engagement_id, form.reason.data, now=clock.utcnow()),
        lambda e: _("Engagement ended. No new calls can be booked on it."),
    )


@bp.post("/<int:engagement_id>/rate")
@login_required
def change_rate(engagement_id: int) -> Response | tuple[str, int]:
    """The business proposes a new rate: a new engagement replaces this one (history kept)."""

    def action(form: FlaskForm) -> Engagement:
        assert isinstance(form, RateForm)
        rate, unread = _read_rate(form.rate_percent.data)
        try:
            return service.change_rate(db.session, _me(), engagement_id, form.rate_change(rate), now=clock.utcnow())
        except ValidationError as exc:
            exc.field_errors.update(unread)
            raise

    return _act(
        engagement_id,
        RateForm(),
        "rate_form",
        action,
        lambda e: _(
            "New rate of %(rate)s %% proposed; the closer has been asked to accept it.",
            rate=bps_to_percent(e.commission_rate_bps),
        ),
        RateChange,
    )
