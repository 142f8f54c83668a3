"""Outcomes: what happened on each call, the business's confirmation, disputes and reviews."""
