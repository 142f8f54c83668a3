"""A stand-alone reminder worker for test_reminders.py: its own process, app, engine and session.

    python -m tests.integration.reminder_worker DB_URL NOW_ISO SYNC_DIR NAME ROUNDS [--unguarded] [--barrier N]

test_reminders.py runs ``run_to_file(argv, path)`` in a process forked from a server that has
imported the app already (``tests.processes``), the same as the command without its imports.

Writes ``SYNC_DIR/ready-NAME``, waits for ``SYNC_DIR/go`` (so two workers start their runs
together), then calls ``send_due_reminders`` ROUNDS times with the clock pinned at NOW and
prints how many reminders it claimed, as JSON.

``--barrier N``: between reading the candidates and claiming them (``_claim_and_notify``,
wrapped here), wait until all N workers have read theirs: every worker then claims rows every
other worker has seen, the interleaving the claim must survive, forced instead of hoped for
with a sleep.

``--unguarded``: the claim's condition (``_claim_condition``: not claimed yet, still booked) is
replaced by "always", as a naive worker would claim, to show the race then sends duplicates.
This process patches both itself before its app starts: production code has no switch for it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import true


def wait_for(condition: Callable[[], bool], failure: str, seconds: float = 60) -> None:
    """Poll ``condition`` (another process's file) until it holds; exit with ``failure`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(0.005)


def file_barrier(sync: Path, name: str, parties: int) -> Callable[[], None]:
    """A barrier across processes: the n-th call returns once all ``parties`` made their n-th call."""
    calls = itertools.count()

    def wait() -> None:
        n = next(calls)
        (sync / f"read-{n}-{name}").touch()
        wait_for(lambda: len(list(sync.glob(f"read-{n}-*"))) >= parties, f"barrier {n}: the other workers never came")

    return wait


def install_seams(reminders: Any, sync: Path, name: str, *, barrier: int, unguarded: bool) -> None:
    """Patch this process's reminder job: the barrier before the claims, and the claim without its guard."""
    if barrier:
        wait, claim_and_notify = file_barrier(sync, name, barrier), reminders._claim_and_notify

        def held(session: Any, *args: Any) -> int:
            session.commit()  # end the read first, as the real step does, so nothing is held while waiting
            wait()
            return int(claim_and_notify(session, *args))

        reminders._claim_and_notify = held
    if unguarded:
        reminders._claim_condition = lambda column: true()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("now")
    parser.add_argument("sync_dir")
    parser.add_argument("name")
    parser.add_argument("rounds", type=int)
    parser.add_argument("--unguarded", action="store_true")
    parser.add_argument("--barrier", type=int, default=0)
    args = parser.parse_args(argv)

    from closerhub import clock, create_app
    from closerhub.booking.reminders import email as reminders
    from closerhub.booking.reminders.email import send_due_reminders
    from closerhub.extensions import db

    app = create_app({"PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": args.db_url})
    logging.getLogger().setLevel(logging.WARNING)
    sync = Path(args.sync_dir)
    install_seams(reminders, sync, args.name, barrier=args.barrier, unguarded=args.unguarded)
    (sync / f"ready-{args.name}").touch()
    wait_for(lambda: (sync / "go").exists(), "no go signal")
    claimed = 0
    with app.app_context(), clock.frozen_at(datetime.fromisoformat(args.now)):
        for _ in range(args.rounds):
            claimed += send_due_reminders(db.session, clock.utcnow())
        db.session.remove()
        db.engine.dispose()
    return {"name": args.name, "claimed": claimed}


def run_to_file(argv: list[str], report: str) -> None:
    """``main`` in a child process: its JSON report, or the traceback that ended it, into ``report``."""
    try:
        result: dict[str, Any] = main(argv)
    except BaseException:  # the parent reads the file: every failure, SystemExit too, reaches the test
        Path(report).write_text(json.dumps({"error": traceback.format_exc()}))
        raise
    Path(report).write_text(json.dumps(result))


if __name__ == "__main__":
    print(json.dumps(main()))
