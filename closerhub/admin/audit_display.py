"""An audit entry's before/after values as an admin reads them: codes as labels, instants in their zone.

The trail keeps what was written (codes, ISO instants, the routing sentence); only the page changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from closerhub.booking.routing_text import routing_text
from closerhub.i18n import local_time
from closerhub.labels import label
from closerhub.payments.ledger.memos import parse_legacy, render

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def audit_value(value: object, key: str = "") -> str:
    """``"2026-12-04 05:20:00+00:00"`` → the reader's time; ``"manual_due"`` → its label; the rest as written."""
    if isinstance(value, datetime):
        return local_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    if not isinstance(value, str):
        return "—" if value is None else str(value)
    if _INSTANT.match(value):
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return local_time(instant if instant.tzinfo else instant.replace(tzinfo=UTC))
    if key.startswith("routing"):
        return routing_text(value)
    if key == "memo":
        return render(parse_legacy(value), value, lambda _outcome_id: None)
    return label(value)
