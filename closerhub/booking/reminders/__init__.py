"""The reminders before a call (email and SMS) and the worker's attendance jobs."""
