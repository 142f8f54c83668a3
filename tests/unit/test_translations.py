"""The French catalog is complete and current, and the i18n seam of core/ translates and fills messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from closerhub.core import i18n

ROOT = Path(__file__).resolve().parents[2]
FRENCH = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def _ids(catalog) -> set[str]:  # type: ignore[no-untyped-def]
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def test_every_text_in_the_source_is_in_the_french_catalog(tmp_path: Path) -> None:
    # The same extraction as `make translations-extract`, into a temporary file: a new message
    # that nobody extracted (so nobody translated) fails here, not in front of a French user.
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
         "--ignore-dirs=.* _* instance bench tests migrations", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as source:
        extracted = _ids(read_po(source))
    with FRENCH.open("rb") as source:
        french = _ids(read_po(source, locale="fr"))
    missing = sorted(extracted - french)
    assert not missing, f"not in the French catalog (run make translations-extract, then translate): {missing[:10]}"


def test_every_message_of_the_french_catalog_is_translated_and_checked() -> None:
    with FRENCH.open("rb") as source:
        catalog = read_po(source, locale="fr")
    untranslated = [m.id for m in catalog if m.id and (not m.string or not all(m.string if m.pluralizable else [1]))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy (a guess by pybabel update, never checked): {fuzzy[:10]}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, f"placeholders differ from the English: {problems[:5]}"


def test_without_a_translator_the_english_text_is_filled_in() -> None:
    assert i18n._("At most %(limit)d characters.", limit=40) == "At most 40 characters."
    assert i18n._("100% of the deal") == "100% of the deal"  # no parameters: nothing is formatted
    assert i18n.ngettext("%(num)d day", "%(num)d days", 1) == "1 day"
    assert i18n.ngettext("%(num)d day", "%(num)d days", 3) == "3 days"
    assert i18n.N_("Marked only.") == "Marked only."


def test_an_installed_translator_translates_the_template_before_filling_it() -> None:
    seen: list[str] = []

    def shout(text: str) -> str:
        seen.append(text)
        return text.upper().replace("%(LIMIT)D", "%(limit)d")

    saved = i18n._translate, i18n._translate_plural
    try:
        i18n.install(
            shout, lambda singular, plural, n: (singular if n == 1 else plural).upper().replace("%(NUM)D", "%(num)d")
        )
        assert i18n._("At most %(limit)d characters.", limit=40) == "AT MOST 40 CHARACTERS."
        assert seen == ["At most %(limit)d characters."]  # the template is looked up, not the filled text
        assert i18n.ngettext("%(num)d day", "%(num)d days", 2) == "2 DAYS"
    finally:
        i18n.install(*saved)


def test_in_a_french_request_core_messages_are_french() -> None:
    from closerhub import create_app

    app = create_app("testing")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert i18n._("Open your dashboard") == "Accéder à votre tableau de bord"
    with app.app_context():  # the worker and the CLI: no request, so English
        assert i18n._("Open your dashboard") == "Open your dashboard"
