"""A stand-alone reminder worker for test_reminders.py: its own process, app, engine and session.

    python -m tests.integration.reminder_worker DB_URL NOW_ISO SYNC_DIR NAME ROUNDS [--unguarded] [--pause S]

Writes ``SYNC_DIR/ready-NAME``, waits for ``SYNC_DIR/go`` (so two workers start their runs
together), then calls ``send_due_reminders`` ROUNDS times with the clock pinned at NOW and
prints how many reminders it claimed, as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("now")
    parser.add_argument("sync_dir")
    parser.add_argument("name")
    parser.add_argument("rounds", type=int)
    parser.add_argument("--unguarded", action="store_true")
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()

    from closerhub import clock, create_app
    from closerhub.booking.reminders import send_due_reminders
    from closerhub.extensions import db

    app = create_app(
        {
            "PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": args.db_url,
            "REMINDERS_UNGUARDED": args.unguarded,
            "REMINDERS_RACE_PAUSE_SECONDS": args.pause,
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    sync = Path(args.sync_dir)
    (sync / f"ready-{args.name}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)
    claimed = 0
    with app.app_context(), clock.frozen_at(datetime.fromisoformat(args.now)):
        for _ in range(args.rounds):
            claimed += send_due_reminders(db.session, clock.utcnow())
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"name": args.name, "claimed": claimed}))


if __name__ == "__main__":
    main()
