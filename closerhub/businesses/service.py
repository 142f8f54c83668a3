"""Business use cases (the organisation's profile; team, offers and engagements come later)."""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.accounts.service import clean_name
from closerhub.businesses.models import Business
from closerhub.core.errors import NotFound, ValidationError
from closerhub.core.money import currency_exponent
from closerhub.core.tz import require_zone


def clean_website(raw: object) -> str | None:
    """An http(s) URL or nothing."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or len(raw) > 255:
        raise ValidationError(
            "Enter a web address under 255 characters.", field_errors={"website": "Invalid web address."}
        )
    value = raw.strip()
    if "://" not in value:
        value = "https://" + value
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        raise ValidationError(
            "Enter a web address such as https://example.com.",
            field_errors={"website": "Enter a web address such as https://example.com."},
        )
    return value


def clean_currency(raw: object) -> str:
    code = str(raw or "").strip().upper()
    try:
        currency_exponent(code)
    except ValidationError:
        raise ValidationError(
            "Choose a known ISO 4217 currency such as EUR or USD.", field_errors={"currency": "Unknown currency."}
        ) from None
    return code


def update_business(
    session: Session,
    actor: User,
    business: Business,
    *,
    name: object,
    website: object,
    timezone: object,
    currency: object,
) -> Business:
    """Edit the organisation's profile (owner or admin); all fields checked before any change."""
    if not business.can_view(actor):
        raise NotFound("Business not found.")
    if not business.can_edit(actor):
        from closerhub.core.errors import PermissionDenied

        raise PermissionDenied("Only the owner of the business can change its profile.")
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for key, fn in (
        ("name", lambda: clean_name(name)),
        ("website", lambda: clean_website(website)),
        ("timezone", lambda: (require_zone(timezone), str(timezone))[1]),
        ("currency", lambda: clean_currency(currency)),
    ):
        try:
            values[key] = fn()
        except ValidationError as exc:
            errors.update(exc.field_errors or {key: exc.message})
    if errors:
        raise ValidationError("Please correct the highlighted fields.", field_errors=errors)
    for key, value in values.items():
        setattr(business, key, value)
    session.commit()
    return business
