"""Business pages: the organisation's profile, its team (invitations, members) and joining by invitation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel.numbers import format_percent
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import get_visible_or_404, login_required
from closerhub.businesses import change_policy, service, team
from closerhub.businesses.brand import brand_suggestion
from closerhub.businesses.commands import BusinessSettings, Invitation, JoinTeam
from closerhub.businesses.forms import BusinessProfileForm, InviteForm, JoinForm
from closerhub.businesses.models import Business
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import DomainError, ValidationError
from closerhub.core.money import Money, format_money
from closerhub.extensions import db, limiter
from closerhub.forms_util import ActionForm, show_errors
from closerhub.i18n import reader_money_locale, zone_options
from closerhub.notifications.service import public_url
from closerhub.security import allows_http_origins

bp = Blueprint("businesses", __name__, url_prefix="/businesses")


# --- template filters used by business, offer and engagement pages and emails ----------


@bp.app_template_filter("money")
def money_filter(value: Money) -> str:
    """``Money(250000, "EUR")`` → ``€2,500.00`` (en) / ``2 500,00 €`` (fr)."""
    return format_money(value, str(reader_money_locale()))


@bp.app_template_filter("rate_percent")
def rate_percent_filter(bps: int) -> str:
    """1250 bps → ``12.5%`` (en) / ``12,5 %`` (fr)."""
    return format_percent(Decimal(bps) / 10000, locale=reader_money_locale(), decimal_quantization=False)


@bp.app_template_global("industry_label")
def industry_label(slug: str | None) -> str:
    """The industry's label in the reader's language (the labels are listed in ``i18n_runtime_strings``)."""
    label = INDUSTRIES.get(slug or "")
    return _(label) if label else (slug or "—")


# --- profile and team -----------------------------------------------------------------


def _profile_form(business: Business) -> BusinessProfileForm:
    return BusinessProfileForm(
        data={
            "name": business.name,
            "website": business.website or "",
            "industry": business.industry or "",
            "timezone": business.timezone,
            "currency": business.currency,
            "prospect_languages": ", ".join(business.prospect_languages or []),
            "prospect_timezones": ", ".join(business.prospect_timezones or []),
            "brand_color": business.brand_color or "",
            "logo_url": business.logo_url or "",
            "embed_origins": "\n".join(business.embed_origins or []),
            "change_notice_minutes": business.change_notice_minutes,
            "change_reason_required": business.change_reason_required,
            "max_reschedules": business.max_reschedules,
        }
    )


def _render_show(
    business: Business,
    *,
    form: BusinessProfileForm | None = None,
    invite_form: InviteForm | None = None,
    status: int = 200,
    brand_shade: str | None = None,
) -> tuple[str, int]:
    if invite_form is None:
        invite_form = InviteForm(formdata=None, data={"language": current_user.language})
    return render_template(
        "businesses/show.html",
        business=business,
        form=form or _profile_form(business),
        brand_shade=brand_shade,
        invite_form=invite_form,
        action_form=ActionForm(),
        can_edit=business.can_edit(current_user),
        is_owner=business.is_owner(current_user),
        members=team.members(db.session, business),
        invitations=team.pending_invitations(db.session, business, clock.utcnow()),
        invite_days=team.invite_days(),
        zones=zone_options(clock.utcnow(), business.timezone),
    ), status


@bp.route("/<int:business_id>", methods=["GET", "POST"])
@login_required
def show(business_id: int) -> Response | tuple[str, int]:
    """The business's profile and team: members and admins only (others get a 404)."""
    business = get_visible_or_404(Business, business_id)
    if not BusinessProfileForm().is_submitted():
        return _render_show(business)
    if not business.can_edit(current_user):
        abort(403)
    form = BusinessProfileForm()
    if form.validate():
        try:
            # The change policy is set first, uncommitted: the profile save below commits both or neither.
            change_policy.set_change_policy(db.session, current_user, business, form.policy(business))
            service.update_business(
                db.session,
                current_user,
                business,
                form.command(_chosen_brand_color(form)),
                allow_http_origins=allows_http_origins(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, BusinessSettings)
        else:
            flash(_("Business profile saved."), "success")
            return redirect(url_for("businesses.show", business_id=business.id))
    db.session.refresh(business)
    return _render_show(business, form=form, status=422, brand_shade=brand_suggestion(form.brand_color.data))


def _chosen_brand_color(form: BusinessProfileForm) -> str | None:
    """The colour typed, or the passing shade the owner picked with one click ("Use #…"): the button
    sends ``typed>shade``, taken only while the field still holds the typed colour (Enter after
    editing the field saves what was typed)."""
    typed = form.brand_color.data
    typed_then, _sep, shade = (request.form.get("use_brand_color") or "").partition(">")
    if shade and typed_then == (typed or "").strip() and shade == brand_suggestion(typed):
        form.brand_color.data = shade
        return shade
    return typed


@bp.post("/<int:business_id>/invitations")
@login_required
@limiter.limit("30 per hour")
def invite(business_id: int) -> Response | tuple[str, int]:
    """The owner invites a colleague by email."""
    business = get_visible_or_404(Business, business_id)
    if not business.is_owner(current_user):
        abort(403)
    form = InviteForm()
    if form.validate():
        try:
            invitation = team.invite(
                db.session,
                current_user,
                business,
                form.command(),
                join_url_for=lambda token: public_url("businesses.join", token=token),
                now=clock.utcnow(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, Invitation)
            return _render_show(business, invite_form=form, status=exc.status)
        flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
        return redirect(url_for("businesses.show", business_id=business.id, _anchor="team"))
    flash(_("Please correct the highlighted fields."), "error")
    return _render_show(business, invite_form=form, status=422)


def _owner_action(business_id: int, action: Callable[[Business], str]) -> Response:
    business = get_visible_or_404(Business, business_id)
    if not business.is_owner(current_user):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    try:
        message = action(business)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash(message, "success")
    return redirect(url_for("businesses.show", business_id=business.id, _anchor="team"))


@bp.post("/<int:business_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(business_id: int, invitation_id: int) -> Response:
    def action(business: Business) -> str:
        invitation = team.revoke_invitation(db.session, current_user, business, invitation_id, now=clock.utcnow())
        return _("Invitation to %(email)s cancelled.", email=invitation.email)

    return _owner_action(business_id, action)


@bp.post("/<int:business_id>/members/<int:member_id>/remove")
@login_required
def remove_member(business_id: int, member_id: int) -> Response:
    def action(business: Business) -> str:
        user = team.remove_member(db.session, current_user, business, member_id, now=clock.utcnow())
        return _("%(name)s was removed from the team.", name=user.name)

    return _owner_action(business_id, action)


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def join(token: str) -> Response | tuple[str, int]:
    """The invitee opens their account from the emailed link and joins the business as a member."""
    try:
        invitation = team.invitation_for_token(db.session, token, now=clock.utcnow())
    except ValidationError as exc:
        return render_template("businesses/join_invalid.html", message=exc.message), 400
    if current_user.is_authenticated:
        message = _(
            "You are logged in as %(email)s. A CloserHub account belongs to at most one business, so this "
            "account cannot join %(business)s. Log out, then open the invitation link again to create the "
            "account for %(invited)s.",
            email=current_user.email,
            business=invitation.business.name,
            invited=invitation.email,
        )
        return render_template("businesses/join_invalid.html", message=message), 409
    try:
        team.ensure_can_join(db.session, invitation)
    except DomainError as exc:
        return render_template("businesses/join_invalid.html", message=exc.message), 409
    form = JoinForm()
    if not form.is_submitted():
        form.language.data = invitation.language
    status = 200
    if form.validate_on_submit():
        try:
            user = team.accept_invitation(db.session, token, form.command(), now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            if exc.code == "account_exists":
                return render_template("businesses/join_invalid.html", message=exc.message), 409
            show_errors(form, exc, JoinTeam)
            status = exc.status
        else:
            login_user(user)
            flash(_("Welcome to %(business)s on CloserHub!", business=invitation.business.name), "success")
            return redirect(url_for("pages.dashboard"))
    elif form.is_submitted():
        flash(_("Please correct the highlighted fields."), "error")
        status = 422
    return render_template(
        "businesses/join.html", form=form, invitation=invitation, zones=zone_options(clock.utcnow())
    ), status
