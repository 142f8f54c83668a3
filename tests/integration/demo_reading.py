"""What a person reads on a page or in an email: the text nodes, and what must never be among them.

Shared by the French demo walk (``test_demo_in_french.py``) and the browser walk (e2e).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
# Stored codes that must be shown as labels (whole words; words French also uses, like "active", are left out).
RAW_CODES = [
    "won",
    "lost",
    "no_show",
    "follow_up",
    "not_a_fit",
    "confirmed",
    "recorded",
    "disputed",
    "voided",
    "resolved",
    "booked",
    "cancelled",
    "completed",
    "owner",
    "member",
    "pending",
    "manual_due",
    "manual_paid",
    "manual_pending",
    "in_review",
    "changes_requested",
    "proposed",
    "declined",
    "withdrawn",
    "succeeded",
    "requires_action",
    "partially_refunded",
    "earned",
    "released",
    "paid_out",
    "reversal",
    "adjustment",
    "confirmed_by_admin",
]
RAW_CODE = re.compile(r"(?<![\w@./-])(" + "|".join(RAW_CODES) + r")(?![\w@/-])")
ENGLISH_LEFT = (
    "minor units",
    "basis points",
    "Commission on outcome",
    "your time (",
    "Round-robin:",
    "Closer chosen by the booker",
    "Next steps",
)
SKIPPED_TAGS = {"script", "style", "code", "pre", "textarea"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []  # open elements whose text is not the reader's (code, another language)
        self._page_lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        lang = dict(attrs).get("lang") or ""
        if tag == "html":
            self._page_lang = lang
        elif tag in SKIPPED_TAGS or (lang and self._page_lang and not lang.startswith(self._page_lang)):
            self._skip.append(tag)  # what a page quotes in its own language (an email's subject) is not its text

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def text_nodes(html: str) -> list[str]:
    """The page's visible text, one entry per text node (scripts, styles, code and inputs left out)."""
    parser = _Text()
    parser.feed(html)
    return parser.parts


def problems(texts: list[str], *, french: bool) -> list[str]:
    """Raw codes, times with seconds, "minor units", and (in French) English sentences left over."""
    found = []
    for text in texts:
        if SECONDS.search(text):
            found.append(f"seconds: {text!r}")
        if "minor units" in text or "basis points" in text:
            found.append(f"units: {text!r}")
        if french:
            # a label's place: a short text (a badge, a cell) or what follows a colon ("Résultat : won");
            # longer texts are what people wrote (notes, names), in whatever language they wrote them
            short = len(text.split()) <= 4
            if (short and RAW_CODE.search(text)) or re.search(r":\s*(" + RAW_CODE.pattern + ")", text):
                found.append(f"raw code: {text!r}")
            found += [f"English: {text!r}" for marker in ENGLISH_LEFT if marker in text]
    return found
