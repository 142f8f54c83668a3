"""Outbound webhooks: endpoints per business, a transactional outbox of events, deliveries and attempts."""
