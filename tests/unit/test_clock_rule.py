"""The clock rule (README, "The clock rule"), read off the source: only the entry points read the clock.

Entry points (HTML views, the JSON API, the worker's jobs, the CLI) call ``clock.utcnow()``
once per request or job and pass ``now`` down; services and ``core`` take ``now``. Nothing in
``closerhub/`` but ``clock.py`` asks the system for the time of day.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "closerhub"

# A thread or loop that starts work on its own, like a job: it reads the clock for that work.
OTHER_ENTRY_POINTS = {
    "notifications/delivery.py",  # the prompt-delivery thread started after a commit
}

WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


@functools.cache  # parsed once per process: the tests read the same ~300 modules
def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def is_entry_point(name: str) -> bool:
    """Views, API modules, jobs and the CLI: where a request or a job begins."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".py")
    return (
        name.startswith("api/")
        or stem in {"views", "api", "cli", "jobs"}
        or stem.endswith(("_views", "_api", "_cli"))
        or name in OTHER_ENTRY_POINTS
    )


def reads_the_clock_seam(tree: ast.Module) -> bool:
    """``clock.utcnow`` used, or ``utcnow`` imported from ``closerhub.clock``."""
    for node in ast.walk(tree):
        seam = isinstance(node, ast.Attribute) and node.attr == "utcnow"
        if seam and isinstance(node.value, ast.Name) and node.value.id == "clock":
            return True
        imported = isinstance(node, ast.ImportFrom) and node.module == "closerhub.clock"
        if imported and any(alias.name == "utcnow" for alias in node.names):
            return True
    return False


def wall_clock_calls(tree: ast.Module) -> list[str]:
    """Calls like ``datetime.now()``, ``date.today()`` or ``time.time()``, as ``name.attr@line``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (owner_name, node.func.attr) in WALL_CLOCK:
                found.append(f"{owner_name}.{node.func.attr}@{node.lineno}")
    return found


def test_only_the_entry_points_read_the_clock_seam() -> None:
    offenders = [
        name
        for name, tree in _modules()
        if name != "clock.py" and not is_entry_point(name) and reads_the_clock_seam(tree)
    ]
    assert offenders == [], "services and core take `now` from their caller (README, 'The clock rule')"


def test_nothing_but_the_clock_seam_asks_the_system_for_the_time() -> None:
    calls = {name: wall_clock_calls(tree) for name, tree in _modules() if name != "clock.py"}
    assert {name: found for name, found in calls.items() if found} == {}


def test_the_rule_catches_a_service_reading_the_clock() -> None:
    service = ast.parse("from closerhub import clock\n\ndef f():\n    return clock.utcnow()\n")
    direct = ast.parse("from closerhub.clock import utcnow\n")
    wall = ast.parse("from datetime import datetime\nx = datetime.now()\n")
    assert reads_the_clock_seam(service) and reads_the_clock_seam(direct)
    assert wall_clock_calls(wall) == ["datetime.now@2"]
    assert not is_entry_point("booking/service.py") and is_entry_point("booking/pages/manage_views.py")
