"""Refunds and payouts: refund links (refunds.py), payouts and their state (payouts.py), rows -> records
(mapping.py); building, signing and broadcasting transactions is the executor's (executor.py)."""
