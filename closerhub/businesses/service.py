"""Business use cases: the organisation's profile, and the field cleaners offers and teams share.

Team use cases live in ``team``, offers in ``offers``. Each function takes the session
first, checks every field before changing anything (one ``ValidationError`` naming each
bad field) and commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from closerhub.accounts.models import Role, User
from closerhub.accounts.service import AccountOpened, clean_name, clean_timezone
from closerhub.businesses.brand import brand_checks
from closerhub.businesses.commands import BusinessSettings
from closerhub.businesses.models import Business, BusinessMember, MemberRole
from closerhub.closers.service import iso_639_1_codes
from closerhub.closers.taxonomy import INDUSTRIES
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.core.money import currency_exponent
from closerhub.core.text import CONTROL_CHARACTERS
from closerhub.core.text import clean_text as clean_text  # re-exported: offers and engagements import it here
from closerhub.core.tz import is_valid_zone

PROSPECT_LANGUAGES_MAX = 10
PROSPECT_TIMEZONES_MAX = 10


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def collect(checks: Iterable[tuple[str, Callable[[], object]]]) -> dict[str, object]:
    """Run every ``(field, check)`` and return the cleaned values, or one ValidationError naming all bad fields."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    messages: list[str] = []
    for key, check in checks:
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.field_errors or {key: exc.message})
            messages.append(exc.message)
    if errors:
        # One problem: say it plainly; several: the fields carry their own messages.
        detail = messages[0] if len(messages) == 1 else _("Please correct the highlighted fields.")
        raise ValidationError(detail, field_errors=errors)
    return values


def clean_website(raw: str | None) -> str | None:
    """An http(s) URL or nothing."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > 255:
        raise ValidationError(
            _("Enter a web address under 255 characters."), field_errors={"website": _("Invalid web address.")}
        )
    value = raw.strip()
    if "://" not in value:
        value = "https://" + value
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value or CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Enter a web address such as https://example.com."),
            field_errors={"website": _("Enter a web address such as https://example.com.")},
        )
    return value


def clean_currency(raw: str | None, field: str = "currency") -> str:
    code = (raw or "").strip().upper()
    try:
        currency_exponent(code)
    except ValidationError:
        raise _fail(field, _("Unknown currency; use an ISO 4217 code such as EUR or USD.")) from None
    return code


def clean_industry(raw: str | None) -> str | None:
    """A slug of ``closers.taxonomy.INDUSTRIES``, or nothing."""
    if not raw:
        return None
    if raw not in INDUSTRIES:
        raise _fail("industry", _("Unknown industry; choose one of: %(choices)s.", choices=", ".join(INDUSTRIES)))
    return raw


def clean_prospect_languages(raw: Iterable[str]) -> list[str]:
    """ISO 639-1 codes, lower-cased, duplicates folded, at most 10."""
    out: list[str] = []
    for item in raw:
        code = item.strip().lower()
        if code not in iso_639_1_codes():
            raise _fail(
                "prospect_languages",
                _("Unknown language code %(code)s; use ISO 639-1 codes such as en, fr, es.", code=repr(code)),
            )
        if code not in out:
            out.append(code)
    if len(out) > PROSPECT_LANGUAGES_MAX:
        raise _fail("prospect_languages", _("List at most %(limit)d languages.", limit=PROSPECT_LANGUAGES_MAX))
    return out


def clean_prospect_timezones(raw: Iterable[str]) -> list[str]:
    """IANA zone names, duplicates folded, at most 10."""
    out: list[str] = []
    for item in raw:
        zone = item.strip()
        if not is_valid_zone(zone):
            raise _fail(
                "prospect_timezones",
                _("Unknown time zone %(zone)s; use IANA names such as Europe/Paris.", zone=repr(zone)),
            )
        if zone not in out:
            out.append(zone)
    if len(out) > PROSPECT_TIMEZONES_MAX:
        raise _fail("prospect_timezones", _("List at most %(limit)d time zones.", limit=PROSPECT_TIMEZONES_MAX))
    return out


def update_business(
    session: Session,
    actor: User,
    business: Business,
    settings: BusinessSettings,
    *,
    allow_http_origins: bool = False,
) -> Business:
    """Replace the organisation's profile and brand (owner or admin); all fields checked before any change.

    The profile is replaced as a whole: an omitted ``website``, ``industry``, prospect list,
    brand colour, logo or embed origin is cleared. ``allow_http_origins``: ``http://`` logos
    and loopback embed origins are accepted (outside production, ``security.allows_http_origins``).
    """
    if not business.can_view(actor):
        raise NotFound(_("Business not found."))
    if not business.can_edit(actor):
        raise PermissionDenied(_("Only the owner of the business can change its profile."))
    values = collect(
        (
            ("name", lambda: clean_name(settings.name)),
            ("website", lambda: clean_website(settings.website)),
            ("timezone", lambda: clean_timezone(settings.timezone)),
            ("currency", lambda: clean_currency(settings.currency)),
            ("industry", lambda: clean_industry(settings.industry)),
            ("prospect_languages", lambda: clean_prospect_languages(settings.prospect_languages)),
            ("prospect_timezones", lambda: clean_prospect_timezones(settings.prospect_timezones)),
            *brand_checks(settings, allow_http=allow_http_origins),
        )
    )
    for key, value in values.items():
        setattr(business, key, value)
    session.commit()
    return business


def on_account_opened(session: Session, event: AccountOpened) -> None:
    """A new business account opens its business, with the new user as its owner (``AccountOpened`` handler)."""
    if event.user.role != Role.BUSINESS or event.business_name is None:
        return
    business = Business(name=event.business_name, timezone=event.user.timezone, currency="EUR", created_at=event.now)
    session.add(business)
    session.add(BusinessMember(business=business, user=event.user, role=MemberRole.OWNER, created_at=event.now))
