"""Changing a booked call: the change rules, reschedule and cancel, handing a call to another closer, its history."""
