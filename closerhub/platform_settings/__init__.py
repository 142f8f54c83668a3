"""Platform settings an admin may change at run time (fees, holds, payout schedule)."""
