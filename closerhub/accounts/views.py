"""Account pages: sign-up, log-in/out, password reset, settings and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts import forms, service, tokens, verification
from closerhub.accounts.commands import EmailChange, Preferences, SignupData
from closerhub.accounts.models import User
from closerhub.accounts.permissions import login_required
from closerhub.core.errors import Conflict, DomainError, ValidationError
from closerhub.extensions import db, limiter, login_manager
from closerhub.forms_util import show_errors
from closerhub.i18n import current_locale, zone_options
from closerhub.notifications.service import public_url

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session or remember-me cookie (see ``User.get_id``)."""
    user_id, _, fingerprint = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or fingerprint != user.session_fingerprint:
        return None  # a password change or reset ends every other session
    return user


def _safe_next(target: str | None, default: str = "pages.dashboard") -> str:
    """Only same-site relative paths, so ``?next=`` cannot redirect elsewhere."""
    if target and any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return url_for(default)
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for(default)


def _zones() -> list[tuple[str, str]]:
    return zone_options(clock.utcnow())


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    form = forms.SignupForm()
    if request.method == "GET" and request.args.get("role") in ("closer", "business"):
        form.role.data = request.args["role"]
    if request.method == "GET":
        form.language.data = current_locale()  # the language the page is read in (was: always English)
    if form.validate_on_submit():
        try:
            user = service.signup(db.session, form.command(), now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, SignupData)
        else:
            login_user(user)
            flash(_("Welcome to CloserHub, %(name)s!", name=user.name), "success")
            return redirect(url_for("pages.dashboard"))
    elif request.method == "POST":
        flash(_("Please correct the highlighted fields."), "error")
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/signup.html", form=form, zones=_zones()), status  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(db.session, form.email.data or "", form.password.data or "", now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if request.method == "GET" else 401
    return render_template("accounts/login.html", form=form), status  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def forgot_password() -> str | Response:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            service.request_password_reset(
                db.session,
                form.email.data or "",
                # Never from the request's Host header (reset-link poisoning): PUBLIC_BASE_URL only.
                lambda token: public_url("accounts.reset_password", token=token),
                now=clock.utcnow(),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            # Same answer whether or not the account exists: no user enumeration.
            flash(
                _(
                    "If an account exists for that address, we have emailed a reset link. "
                    "It expires in %(minutes)s minutes.",
                    minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
                ),
                "info",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    try:
        service.user_for_reset_token(db.session, token)
    except ValidationError as exc:
        return render_template("accounts/reset_invalid.html", message=exc.message), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(db.session, token, form.password.data or "", now=clock.utcnow())
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            logout_user()
            flash(_("Your password has been changed. Log in with your new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/verify-email/<token>")
def verify_email(token: str) -> tuple[str, int]:
    """A verification link from an email: verify, or say kindly why not (expired, invalid, already done).

    Public (the link may be opened in another browser); the pages never say whether an account exists.
    """
    try:
        verification.verify_email(db.session, token, now=clock.utcnow())
    except Conflict:
        db.session.rollback()
        return render_template("accounts/verify_result.html", outcome="already"), 200
    except ValidationError as exc:
        db.session.rollback()
        outcome = "expired" if exc.code == "expired_token" else "invalid"
        return render_template("accounts/verify_result.html", outcome=outcome), 400
    return render_template("accounts/verify_result.html", outcome="verified"), 200


def _user_key() -> str:
    # Per account, not per IP: the address being flooded is the account's own.
    return f"verify-resend:{current_user.id if current_user.is_authenticated else request.remote_addr}"


@bp.post("/account/verify-email/resend")
@login_required
@limiter.limit("3 per 10 minutes; 10 per day", key_func=_user_key)
def resend_verification() -> Response:
    """The banner's "Resend the email" button: a fresh link to the account's current address."""
    try:
        verification.resend_verification(db.session, current_user, now=clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "info" if exc.code == "already_verified" else "error")
    else:
        flash(
            _(
                "We have sent a new verification link to %(email)s. It expires in %(days)s days.",
                email=current_user.email,
                days=max(1, current_app.config["EMAIL_VERIFY_MAX_AGE"] // 86400),
            ),
            "success",
        )
    return redirect(_safe_next(request.form.get("next"), default="accounts.settings"))


@bp.route("/account", methods=["GET"])
@login_required
def settings() -> str:
    user: User = current_user
    prefs = forms.PreferencesForm(obj=user)
    return render_template(
        "accounts/settings.html",
        prefs=prefs,
        pw=forms.ChangePasswordForm(),
        email_form=forms.ChangeEmailForm(),
        token_form=forms.NewTokenForm(),
        tokens=tokens.list_tokens(db.session, user),
        zones=_zones(),
        new_secret=session.pop("new_token_secret", None),
    )


def _settings_again(status: int = 422, **forms_override: object) -> tuple[str, int]:
    user: User = current_user
    context = {
        "prefs": forms.PreferencesForm(obj=user),
        "pw": forms.ChangePasswordForm(formdata=None),
        "email_form": forms.ChangeEmailForm(formdata=None),
        "token_form": forms.NewTokenForm(formdata=None),
        "new_secret": None,
    }
    context.update(forms_override)
    return render_template(
        "accounts/settings.html", tokens=tokens.list_tokens(db.session, user), zones=_zones(), **context
    ), status


@bp.post("/account/preferences")
@login_required
def update_preferences() -> Response | tuple[str, int]:
    form = forms.PreferencesForm()
    if form.validate_on_submit():
        try:
            service.update_preferences(db.session, current_user, form.command())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, Preferences)
        else:
            flash(_("Preferences saved."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_again(prefs=form)


@bp.post("/account/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                db.session,
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
                now=clock.utcnow(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            login_user(current_user._get_current_object(), remember=bool(request.cookies.get("remember_token")))
            flash(_("Password changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_again(pw=form)


@bp.post("/account/email")
@login_required
def change_email() -> Response | tuple[str, int]:
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        try:
            service.change_email(db.session, current_user, form.command(), now=clock.utcnow())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, EmailChange)
        else:
            flash(_("Email changed. We have sent a verification link to the new address."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_again(email_form=form)


@bp.post("/account/tokens")
@login_required
def create_token() -> Response | tuple[str, int]:
    form = forms.NewTokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = tokens.create_token(
                db.session,
                current_user,
                form.name.data or "",
                clock.utcnow(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            # Post/redirect/get: a reload must not create a second token. The secret rides
            # once in the (signed) session of the browser that asked for it, then is gone.
            session["new_token_secret"] = secret
            flash(_("Token created. Copy it now: it will not be shown again."), "success")
            return redirect(url_for("accounts.settings", _anchor="tokens"))
    return _settings_again(token_form=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    try:
        tokens.revoke_token(db.session, current_user, token_id, clock.utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            from flask import abort

            abort(404)
        raise
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.settings"))
