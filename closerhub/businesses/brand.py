"""What the prospect sees of a business on its booking pages, and who may frame them.

* ``brand_color``: ``#rrggbb`` (``#RGB`` is widened), or nothing for CloserHub's own colour. It is
  drawn under white text (buttons) and as text on the page's light backgrounds, so it must reach
  WCAG AA (4.5:1) with each of ``BRAND_AGAINST``: a colour that does not is refused with its ratio
  and the nearest shade that passes (``brand_suggestion``); a stored one that does not (older
  data) is shown as that shade (``shown_brand_colors``).
* ``logo_url``: an ``https://`` image address (``http://`` too outside production), ≤ 500
  characters, or nothing.
* ``embed_origins``: the exact origins (``https://www.example.com``, a port if not the
  default) whose pages may frame the booking page (``Content-Security-Policy:
  frame-ancestors``). No wildcards, paths, queries or credentials; ``https`` only in
  production, ``http`` (a loopback dev server) accepted outside it. At most 20.

``brand_checks`` gives the checks of a ``BusinessSettings``' brand fields to
``businesses.service.update_business``, which saves them with the profile (owner or admin) or
names every bad field.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from babel.numbers import format_decimal

from closerhub.businesses.commands import BusinessSettings
from closerhub.businesses.models import Business
from closerhub.core.contrast import AA_NORMAL_TEXT, darker, nearest_passing_shade, parse_hex, to_hex, worst_ratio
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, reading_language

LOGO_URL_MAX = 500
EMBED_ORIGINS_MAX = 20
# What the brand colour meets on the prospect pages (static/css/app.css): white text on it
# (buttons, the chosen day), and it as text on the cards (#fff) and the page (--bg).
BRAND_AGAINST = ("#ffffff", "#f6f7fb")
HOVER_DARKEN = 0.08  # HSL lightness taken off for ``--brand-dark`` (hovered buttons)
ORIGIN_MAX = 255
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


def clean_brand_color(raw: str | None) -> str | None:
    """``#rrggbb`` in lower case, or None when empty."""
    if raw is None or not raw.strip():
        return None
    if not _HEX.match(raw.strip()):
        raise _fail("brand_color", _("Give the colour as #rrggbb, e.g. #1d4ed8."))
    value = raw.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    ratio = worst_ratio(value, BRAND_AGAINST)
    if ratio < AA_NORMAL_TEXT:
        shown = format_decimal(math.floor(ratio * 100) / 100, format="0.00", locale=reading_language())
        shade = nearest_passing_shade(value, BRAND_AGAINST)
        raise _fail(
            "brand_color",
            _(
                "%(color)s is too light for text: its contrast with white button text and the page "
                "is %(ratio)s:1, and prospects need at least 4.5:1. The nearest shade that passes is %(shade)s.",
                color=value,
                ratio=shown,
                shade=shade or "#000000",
            ),
        )
    return value


def brand_suggestion(raw: str | None) -> str | None:
    """The nearest passing shade of a well-formed colour that fails the contrast check, else None
    (the form offers it as a one-click choice)."""
    if raw is None or not _HEX.match(raw.strip()):
        return None
    value = to_hex(parse_hex(raw))
    shade = nearest_passing_shade(value, BRAND_AGAINST)
    return shade if shade != value else None


def shown_brand_colors(stored: str | None) -> tuple[str, str] | None:
    """``(--brand, --brand-dark)`` for a stored colour: a failing one (older data) as its nearest
    passing shade; None for CloserHub's own."""
    if not stored:
        return None
    try:
        color = nearest_passing_shade(stored, BRAND_AGAINST) or "#000000"
    except ValueError:
        return None
    return color, darker(color, HOVER_DARKEN)


def clean_logo_url(raw: str | None, *, allow_http: bool) -> str | None:
    """An https (or, outside production, http) image address, or None when empty."""
    if raw is None or not raw.strip():
        return None
    message = (
        _("Give the logo's address, starting with https:// or http://.")
        if allow_http
        else _("Give the logo's address, starting with https://.")
    )
    if len(raw.strip()) > LOGO_URL_MAX:
        raise _fail("logo_url", _("At most %(limit)d characters.", limit=LOGO_URL_MAX))
    value = raw.strip()
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        raise _fail("logo_url", message) from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not hostname or parts.username or any(c.isspace() for c in value):
        raise _fail("logo_url", message)
    if any(ord(c) < 32 or c in "\"'<>\\" for c in value):
        raise _fail("logo_url", message)
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def clean_origin(raw: str, *, allow_http: bool) -> str:
    """One exact origin, normalised (``scheme://host[:port]``, lower case, default port dropped)."""
    hint = _("Give an exact origin such as https://www.example.com (no path, no wildcard).")
    if not raw.strip() or len(raw.strip()) > ORIGIN_MAX:
        raise ValueError(hint)
    value = raw.strip().rstrip("/")
    if "*" in value:
        raise ValueError(_("Wildcards are not allowed: list each origin exactly."))
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(hint) from None
    if parts.scheme not in ("http", "https") or not host or parts.path or parts.query or parts.fragment:
        raise ValueError(hint)
    if parts.username or parts.password:
        raise ValueError(hint)
    bracketed = host.startswith("[") or ":" in host
    if not bracketed and not _HOST.match(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(hint) from None
    if not allow_http and (parts.scheme == "http" or _is_loopback(host)):
        raise ValueError(
            _("Use https:// and a public host (http:// and loopback are accepted only outside production).")
        )
    netloc = f"[{host}]" if bracketed else host
    if port is not None and port != (443 if parts.scheme == "https" else 80):
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}"


def clean_embed_origins(raw: Iterable[str], *, allow_http: bool) -> list[str]:
    """Distinct exact origins, at most 20, in the given order; one message names the first bad one."""
    out: list[str] = []
    for item in raw:
        try:
            origin = clean_origin(item, allow_http=allow_http)
        except ValueError as exc:
            raise _fail("embed_origins", f"{item[:80]}: {exc}") from None
        if origin not in out:
            out.append(origin)
    if len(out) > EMBED_ORIGINS_MAX:
        raise _fail("embed_origins", _("List at most %(limit)d origins.", limit=EMBED_ORIGINS_MAX))
    return out


def brand_checks(settings: BusinessSettings, *, allow_http: bool) -> list[tuple[str, Callable[[], object]]]:
    """The checks of the brand fields, for ``businesses.service.update_business``: saved with
    the profile, every bad field named at once."""
    return [
        ("brand_color", lambda: clean_brand_color(settings.brand_color)),
        ("logo_url", lambda: clean_logo_url(settings.logo_url, allow_http=allow_http)),
        ("embed_origins", lambda: clean_embed_origins(settings.embed_origins, allow_http=allow_http)),
    ]


def frame_ancestors(business: Business) -> str:
    """The CSP ``frame-ancestors`` source list for the business's embedded booking page."""
    return " ".join(business.embed_origins or []) or "'none'"
