"""Closers: profiles, languages, industries, availability."""
