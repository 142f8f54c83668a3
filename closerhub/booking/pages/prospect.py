"""What every prospect page shares: the business's brand, the slim layout's headers, and the embed.

* **Brand**: ``/book/<key>/brand.css`` sets ``--brand`` to the business's ``brand_color`` (the
  CSP allows no inline style; a stored colour below WCAG AA is shown as its nearest passing shade);
  the layout (``booking/_prospect_base.html``) shows the logo and name.
* **Headers**: a prospect page may show a logo from any https address (``security.prospect_csp``).
  With ``?embed=1`` (kept by every link and form of the pages), the page may be framed by the
  business's ``embed_origins`` (``frame-ancestors``; ``'none'`` when it lists none, and without
  ``embed=1``), and ``X-Frame-Options`` is dropped (it cannot list origins).
* **Embed**: ``/embed.js`` (``static/js/embed.js``) turns ``<script data-closerhub-key="…">`` into an
  iframe of ``/book/<key>?embed=1`` that follows the page's height and relays ``closerhub:booked``
  (posted by ``static/js/booking_embed.js`` inside the frame) to the host page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request, send_from_directory, url_for

from closerhub.booking.pages.views import _offer_or_404, bp
from closerhub.businesses.brand import frame_ancestors, shown_brand_colors
from closerhub.businesses.models import Business
from closerhub.i18n import LANG_ARG, url_language
from closerhub.security import prospect_csp

EMBED_ARG = "embed"
PREFILL_ARGS = ("name", "email", "phone")
UTM_ARGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
FUNNEL_ARG_MAX = 200
SOURCE_MAX = 120  # ``Lead.source``


def is_embedded() -> bool:
    """``?embed=1``: the page is shown in the business's iframe."""
    return request.args.get(EMBED_ARG) == "1"


@bp.app_template_global("prospect_embedded")
def _embedded_global() -> bool:
    return is_embedded()


@bp.app_template_global("prospect_query")
def prospect_query() -> dict[str, str | int | None]:
    """What every link and form of every prospect page keeps (``url_for(**...)``): ``embed=1`` and the
    language picked on the page (``lang``), neither of which an embed's missing session could carry."""
    return {EMBED_ARG: 1 if is_embedded() else None, LANG_ARG: url_language()}


# A page shown in answer to a POST (a refused form) switches language to the page it belongs to.
_PAGE_OF_POST = {
    "booking_public.reschedule": "booking_public.manage",
    "booking_public.cancel": "booking_public.manage",
    "booking_public.prospect_closer_no_show": "booking_public.manage",
}


@bp.app_template_global("prospect_lang_url")
def prospect_lang_url(lang: str) -> str:
    """This prospect page in ``lang``: the same address with ``lang`` set (the language switch is a
    link, so it works in a cross-site embed, where the session's language and CSRF cannot)."""
    endpoint = request.endpoint or "pages.index"
    args: dict[str, Any] = dict(request.args.items())
    if request.method != "GET":
        endpoint = _PAGE_OF_POST.get(endpoint, endpoint)
        start = request.form.get("start")
        if endpoint == "booking_public.confirm" and start and "start" not in args:
            args["start"] = start
    return url_for(endpoint, **(request.view_args or {}), **(args | {LANG_ARG: lang}))


def funnel_query() -> dict[str, str | int | None]:
    """What every link and form of a booking page carries along (``url_for(**...)``): ``prospect_query``, the
    funnel's prefill (``name``, ``email``, ``phone``) and its ``utm_*`` (each at most 200 characters)."""
    query: dict[str, str | int | None] = prospect_query()
    for name in (*PREFILL_ARGS, *UTM_ARGS):
        value = " ".join((request.args.get(name) or "").split())
        query[name] = value if value and len(value) <= FUNNEL_ARG_MAX else None
    return query


def lead_source(query: dict[str, str | int | None]) -> str:
    """The new lead's source: "booking page", with the funnel's ``utm_*`` when it sent any."""
    utm = "&".join(f"{k}={query[k]}" for k in UTM_ARGS if query.get(k))
    if not utm:
        return "booking page"
    text = f"booking page ({utm})"
    return text if len(text) <= SOURCE_MAX else text[: SOURCE_MAX - 2] + "…)"


def prospect_page(business: Business) -> None:
    """Mark this response as a prospect page of ``business`` (headers set by ``_prospect_headers``)."""
    g.prospect_business = business


@bp.after_app_request
def _prospect_headers(response: Response) -> Response:
    business: Business | None = g.pop("prospect_business", None)
    if business is None:
        return response
    response.headers["Content-Security-Policy"] = prospect_csp(frame_ancestors(business) if is_embedded() else "'none'")
    return response  # X-Frame-Options (it cannot list origins) is sent only when framing is 'none'


@bp.get("/book/<key>/brand.css")
def brand_css(key: str) -> Response:
    """The business's colour as the stylesheet variable the layout uses (empty: CloserHub's own)."""
    colors = shown_brand_colors(_offer_or_404(key).business.brand_color)
    css = f":root {{ --brand: {colors[0]}; --brand-dark: {colors[1]}; }}\n" if colors else ""
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/embed.js")
def embed_js() -> Response:
    """The embed script a business puts on its site (``<script src=".../embed.js" data-closerhub-key="…">``)."""
    response = send_from_directory(current_app.static_folder or "static", "js/embed.js", max_age=300)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
