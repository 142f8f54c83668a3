"""Analytics: figures, charts and CSV exports for closers (their own), businesses (theirs) and admins (all)."""
