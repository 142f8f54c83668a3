"""Rewrite the French catalog without source locations, sorted by message.

`make translations-extract` runs it after `pybabel update`: without line numbers and in a fixed
order, two branches that add texts change different lines and merge without conflicts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def tidy(path: Path) -> None:
    with path.open("rb") as source:
        catalog = read_po(source, locale="fr")
    catalog.revision_date = catalog.creation_date  # no timestamp churn between branches
    with path.open("wb") as target:
        write_po(target, catalog, width=120, no_location=True, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        tidy(Path(name))
