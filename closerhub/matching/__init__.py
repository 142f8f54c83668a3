"""Matching: businesses search closers; ranking is ``core.matching``, filtering is SQL here."""
