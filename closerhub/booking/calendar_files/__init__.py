"""Calls in calendars: .ics files, the closer's calendar feed, its pages and API."""
