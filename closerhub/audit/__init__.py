"""The append-only audit trail: who changed what, from which address, before and after."""
