"""Leads: the prospects a business hands to its closers, their context, the CSV import, pages and API."""
