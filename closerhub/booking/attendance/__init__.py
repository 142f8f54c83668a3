"""Who came: the prospect's attendance confirmation, no-shows and their reports."""
