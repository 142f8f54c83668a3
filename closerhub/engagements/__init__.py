"""Engagements: a business's agreement with a closer to close one offer at a commission rate."""
