"""Closer vetting: new closers are reviewed by an admin before businesses can find them."""
