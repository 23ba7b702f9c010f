"""Administration: API keys, backups, the point of sale's PIN and receipts."""
