"""A stand-alone webhook worker for test_webhook_kill.py: its own process, app and session.

    python -m tests.integration.webhook_worker DB_URL

test_webhook_kill.py runs ``main(DB_URL)`` in a process forked from a server that has imported
the app already (``tests.processes``). Calls ``deliver_due`` once with a 2-second lease, so a
test that kills it mid-request sees the delivery due again two seconds later.
"""

from __future__ import annotations

import logging
import sys


def main(db_url: str | None = None) -> None:
    from closerhub import clock, create_app
    from closerhub.extensions import db
    from closerhub.webhooks.delivery import deliver_due

    app = create_app(
        {
            "PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": db_url or sys.argv[1],
            "WEBHOOK_LEASE_SECONDS": 2,
            "OUTBOUND_ALLOW_PRIVATE": True,
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        print(deliver_due(db.session, clock.utcnow()))
        db.session.remove()


if __name__ == "__main__":
    main()
