"""Calendar sync: a closer's own calendars (CalDAV, ICS subscriptions) block their slots.

Layers inside the package, lowest first: ``models`` and ``busy`` (read by the slot seam in
``closers.rules``), then ``outbound``-based readers (``ics_reader``, ``caldav_reader``),
``sync`` and ``service`` (use cases), and the entry points (``views``, ``api``).
"""
