"""Booking: leads (prospects), appointments, slot search across engaged closers, booking, reschedule, cancel, ICS."""
