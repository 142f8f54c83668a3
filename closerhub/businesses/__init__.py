"""Businesses: the organisation, its team members, offers and engagements."""
