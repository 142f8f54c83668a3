"""Accounts: users, roles, sign-up, log-in, password reset, API tokens."""
