"""The Share panel of the business dashboard: each active offer's booking link, embed code and QR code.

The QR code is an inline SVG made by ``segno`` (no image request, nothing sent elsewhere); the
embed code is the ``<script>`` tag of ``/embed.js`` (``booking.prospect``) with the offer's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import segno
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.businesses.models import Offer


@dataclass(frozen=True)
class ShareItem:
    offer: Offer
    link: str
    embed_code: str
    qr_svg: Markup


def qr_svg(url: str, title: str) -> Markup:
    """The QR code of ``url`` as inline SVG (``title`` read by screen readers)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, title=title, svgclass="qr", lineclass="qr-line")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704  # segno's own markup, title escaped


def share_items(
    session: Session, business_id: int, *, link_of: Callable[[Offer], str], script_url: str, title: str
) -> list[ShareItem]:
    """The business's active offers (one query), each with its link (``link_of``), embed code and QR code."""
    offers = session.scalars(
        select(Offer).where(Offer.business_id == business_id, Offer.is_active.is_(True)).order_by(Offer.name, Offer.id)
    )
    items = []
    for offer in offers:
        link = link_of(offer)
        code = f'<script src="{script_url}" data-closerhub-key="{offer.booking_key}" async></script>'
        items.append(ShareItem(offer, link, code, qr_svg(link, f"{title}: {offer.name}")))
    return items
