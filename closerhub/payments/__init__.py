"""Payments: the closers' earnings ledger, Stripe charges, payouts and webhooks."""
