"""Fixed vocabularies shared by profiles, offers and search."""

from __future__ import annotations

INDUSTRIES: dict[str, str] = {
    "coaching": "Coaching",
    "saas": "SaaS",
    "b2b_services": "B2B services",
    "high_ticket_training": "High-ticket training",
    "real_estate": "Real estate",
    "finance": "Financial services",
    "insurance": "Insurance",
    "health_wellness": "Health & wellness",
    "ecommerce": "E-commerce",
    "agency": "Agency services",
    "solar_energy": "Solar & energy",
    "education": "Education",
}
